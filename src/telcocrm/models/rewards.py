"""The rewards catalogue with its stock, and redemptions of points for rewards; every change keeps history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import RedemptionChannel, RedemptionStatus, RewardCategory, StockAction


class Reward(Base):
    """A reward of the catalogue: its points price, who may redeem it, its stock (null: unlimited) and validity.

    An empty eligibility list means "anyone": `segments`, `value_tiers` (the latest published segment row) and
    `card_levels` (an active card of the customer).
    """

    __tablename__ = "reward"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[RewardCategory] = mapped_column(enum_type(RewardCategory, "reward_category"), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    points_price: Mapped[int] = mapped_column(Integer, nullable=False)
    face_value_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)  # bill credit: what it is worth
    segments: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    value_tiers: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    card_levels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # last day redeemable; null: open-ended
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (
        CheckConstraint("points_price > 0", name="points_price_positive"),
        # The database itself refuses an overdrawn stock, whatever the code does.
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    )


class RewardStockHistory(Base):
    """Append-only: every change of a reward's stock, with the count after it."""

    __tablename__ = "reward_stock_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"), nullable=False, index=True)
    action: Mapped[StockAction] = mapped_column(enum_type(StockAction, "stock_action"), nullable=False)
    change: Mapped[int | None] = mapped_column(Integer, nullable=True)  # null: set to a count or unlimited
    stock_after: Mapped[int | None] = mapped_column(Integer, nullable=True)  # null: unlimited
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemption.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)


class Redemption(Base):
    """积分兑换: points spent on a reward; `request_key` makes a retried request redeem once."""

    __tablename__ = "redemption"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    reference: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)  # the ledger entries' reference
    customer_code: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[RedemptionStatus] = mapped_column(enum_type(RedemptionStatus, "redemption_status"), nullable=False)
    channel: Mapped[RedemptionChannel] = mapped_column(
        enum_type(RedemptionChannel, "redemption_channel"), nullable=False
    )
    card_number: Mapped[str | None] = mapped_column(String(20), nullable=True)  # the card shown, if any
    redeemed_by: Mapped[str] = mapped_column(String(80), nullable=False)
    redeemed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    cancelled_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points > 0", name="points_positive"),
    )


class RedemptionHistory(Base):
    """Append-only: a redemption's redeem and cancel, who, when and why."""

    __tablename__ = "redemption_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), nullable=False, index=True)
    status: Mapped[RedemptionStatus] = mapped_column(enum_type(RedemptionStatus, "redemption_status"), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
