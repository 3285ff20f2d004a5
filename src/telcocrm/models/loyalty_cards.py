"""百事通 customer cards: one row per card as it stands, and the append-only history of every change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import CardAction, CardHolder, CardHolderRole, CardKind, CardLevel, CardStatus


class MemberCard(Base):
    """A customer card: its number (with a Damm check digit) identifies the customer at any channel.

    Keyed by the customer code like the points account: a code never changes, and a merged-away code still
    leads to its survivor. The number is never reused, even after the card is cancelled.
    """

    __tablename__ = "member_card"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[CardKind] = mapped_column(enum_type(CardKind, "card_kind"), nullable=False)
    holder: Mapped[CardHolder] = mapped_column(enum_type(CardHolder, "card_holder"), nullable=False)
    holder_role: Mapped[CardHolderRole] = mapped_column(enum_type(CardHolderRole, "card_holder_role"), nullable=False)
    holder_name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[CardLevel] = mapped_column(enum_type(CardLevel, "card_level"), nullable=False)
    status: Mapped[CardStatus] = mapped_column(enum_type(CardStatus, "card_status"), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        Index("ix_member_card_customer_code", "customer_code"),
        # One active card of a kind per holder of a customer; a cancelled card does not block a new one.
        Index(
            "uq_member_card_active_holder",
            "customer_code",
            "kind",
            "holder_name",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class MemberCardHistory(Base):
    """Append-only: every issue, upgrade, downgrade and cancel of a card, who did it, why, and from what."""

    __tablename__ = "member_card_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("member_card.id"), nullable=False, index=True)
    action: Mapped[CardAction] = mapped_column(enum_type(CardAction, "card_action"), nullable=False)
    # Each enum column needs its own name: it names the column's CHECK constraint.
    level_before: Mapped[CardLevel | None] = mapped_column(enum_type(CardLevel, "card_level_before"), nullable=True)
    level_after: Mapped[CardLevel | None] = mapped_column(enum_type(CardLevel, "card_level_after"), nullable=True)
    rule: Mapped[str | None] = mapped_column(String(120), nullable=True)  # the level rule, or null when manual
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
