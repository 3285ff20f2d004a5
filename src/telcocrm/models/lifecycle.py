"""Lifecycle history: one row per subscriber and month, as the monthly run decided it (append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, utc_now


class LifecycleHistory(Base):
    """A month's lifecycle stage of one subscriber, with its customer at that month.

    Keyed by codes (see CreditRatingHistory). The columns are those of `analytics.schemas.LIFECYCLE`.
    """

    __tablename__ = "lifecycle_history"

    subscriber_code: Mapped[str] = mapped_column(String(20), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    run_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # shown while assessment_run names it
    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)  # the holder in that month
    lifecycle_stage: Mapped[str] = mapped_column(String(32), nullable=False)
    lifecycle_rule: Mapped[str] = mapped_column(String(120), nullable=False)
    lifecycle_reason: Mapped[str] = mapped_column(Text, nullable=False)
    rules_version: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (
        PrimaryKeyConstraint("subscriber_code", "month", "run_id"),  # also "the history of one subscriber"
        Index("ix_lifecycle_history_customer_code_month", "customer_code", "month"),  # all lines of a customer
        # SQLite: the write-back deletes a month’s rows of other runs (on PostgreSQL a month is a partition).
        Index("ix_lifecycle_history_month", "month", "run_id").ddl_if(dialect="sqlite"),
        # PostgreSQL: one partition per month, so the write-back swaps a month in whole (jobs/writeback.py).
        {"postgresql_partition_by": "LIST (month)"},
    )
