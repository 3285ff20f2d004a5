"""积分 points: one account per customer and its append-only ledger of entries; a balance is a sum of entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import PointsAccountStatus, PointsEntryKind

# A million entries a month: 64-bit ids on PostgreSQL; SQLite's rowid alias must be declared INTEGER.
EntryId = BigInteger().with_variant(Integer(), "sqlite")


class PointsAccount(Base):
    """积分账户: the points of one customer, and the staff's flags that make them published (积分获得).

    Keyed by the customer code, without a foreign key: the monthly run opens accounts in bulk for the codes it
    read from the customer table, and a customer code never changes.
    """

    __tablename__ = "points_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    status: Mapped[PointsAccountStatus] = mapped_column(
        enum_type(PointsAccountStatus, "points_account_status"), nullable=False, default=PointsAccountStatus.ACTIVE
    )
    opted_in: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 积分定制
    points_sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)


def _where_set(column: str) -> Index:
    """An index of the entries where the column is set (PostgreSQL and SQLite both keep partial indexes)."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_points_entry_{column}", column, postgresql_where=where, sqlite_where=where)


class PointsEntry(Base):
    """One change of a points balance. Never updated, never deleted: a correction is a reversing entry.

    A lot is a positive entry without `lot_id` (an earn, or a staff adjustment +); every other entry draws from
    or gives back to one lot, so the balance, the sum of all entries, is also the sum of what remains of the lots.
    """

    __tablename__ = "points_entry"

    id: Mapped[int] = mapped_column(EntryId, primary_key=True)
    # No foreign key to points_account: a key check per entry (a row lock on the account) was a third of the
    # monthly posting's time at 1M customers (docs/benchmarks.md § Loyalty). Accounts are never deleted (a
    # closed one changes status) and every writer takes the id from the account row it read in its transaction.
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[PointsEntryKind] = mapped_column(enum_type(PointsEntryKind, "points_entry_kind"), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    # The lot an entry draws from or gives back to, the entry a reversal undoes: ids of entries, without foreign
    # keys, like account_id (migration 0010): a queued key-check event per earn, though earns set neither.
    lot_id: Mapped[int | None] = mapped_column(EntryId, nullable=True)
    month: Mapped[str | None] = mapped_column(String(7), nullable=True)  # the award's month (earns, corrections)
    earned_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # lots only
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # lots only: last day spendable
    rule: Mapped[str | None] = mapped_column(String(120), nullable=True)
    source: Mapped[str | None] = mapped_column(String(120), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(400), unique=True, nullable=False)
    reverses_id: Mapped[int | None] = mapped_column(EntryId, nullable=True)
    reference: Mapped[str | None] = mapped_column(String(64), nullable=True)  # e.g. a redemption id
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # why: the award's reason, a staff note
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    recorded_by: Mapped[str] = mapped_column(String(60), nullable=False)

    __table_args__ = (
        CheckConstraint("points <> 0", name="points_not_zero"),
        # A lot is positive and dated; every other entry names its lot.
        CheckConstraint(
            "(lot_id IS NULL AND points > 0 AND expires_on IS NOT NULL) OR (lot_id IS NOT NULL)", name="lot_or_draw"
        ),
        # An account's entries, and its entries of one month (the posting's change-finding reads those).
        Index("ix_points_entry_account_month", "account_id", "month"),
        # Partial: most entries are earns, which name no lot, reversal or reference; indexing their NULLs cost
        # the monthly posting three index insertions per award for nothing.
        *(_where_set(name) for name in ("lot_id", "reverses_id", "reference")),
        # The expiry job's range. Entries are appended in the order they expire: on PostgreSQL a BRIN index, a few
        # pages that cost a posting nothing (a B-tree insertion per earn cost a tenth of writing it).
        Index("ix_points_entry_expires_on", "expires_on", postgresql_using="brin"),
    )


class PointsMonthSummary(Base):
    """Points by month and kind, kept beside the ledger so the analyst's page never scans it.

    A part of a sum, not a sum: every transaction that writes entries appends the rows of what it wrote (so no
    two writers ever wait for one row), and a job folds the parts into one row per month and kind. The figure of
    a month and kind is the sum of its rows. A reversal counts with the kind it undoes; awards and their
    corrections in the month earned for, everything else in the operator's month it was recorded.
    """

    __tablename__ = "points_month_summary"

    id: Mapped[int] = mapped_column(EntryId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), nullable=False)
    kind: Mapped[PointsEntryKind] = mapped_column(
        enum_type(PointsEntryKind, "points_month_summary_kind"), nullable=False
    )
    points: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_points_month_summary_month_kind", "month", "kind"),)
