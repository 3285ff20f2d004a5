"""Segment and value history: one row per customer and month, as the monthly run decided it (append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, utc_now


class SegmentHistory(Base):
    """A month's segment, five-way classification, big-customer kinds, star and value tiers of one customer.

    Keyed by the customer code (see CreditRatingHistory). The columns are those of `analytics.schemas.SEGMENTS`.
    """

    __tablename__ = "segment_history"

    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    run_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # shown while assessment_run names it
    segment: Mapped[str] = mapped_column(String(64), nullable=False)
    sub_segment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    segment_rule: Mapped[str] = mapped_column(String(120), nullable=False)
    segment_reason: Mapped[str] = mapped_column(Text, nullable=False)
    value_grade: Mapped[str | None] = mapped_column(String(16), nullable=True)
    arpu_grade: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deposit_tier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tenure_band: Mapped[str | None] = mapped_column(String(64), nullable=True)
    behaviour_cluster: Mapped[str | None] = mapped_column(String(64), nullable=True)
    demographic_band: Mapped[str | None] = mapped_column(String(64), nullable=True)
    big_customer_kinds: Mapped[str | None] = mapped_column(String(64), nullable=True)  # comma-separated
    special_class: Mapped[bool] = mapped_column(Boolean, nullable=False)
    big_customer_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    star_tier: Mapped[str] = mapped_column(String(16), nullable=False)  # vip | 5 … 1
    star_rule: Mapped[str] = mapped_column(String(120), nullable=False)
    star_reason: Mapped[str] = mapped_column(Text, nullable=False)
    value_tier: Mapped[str] = mapped_column(String(16), nullable=False)  # high | mid | low
    value_rule: Mapped[str] = mapped_column(String(120), nullable=False)
    value_reason: Mapped[str] = mapped_column(Text, nullable=False)
    rules_version: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (
        PrimaryKeyConstraint("customer_code", "month", "run_id"),  # also "the history of one customer"
        # SQLite: the write-back deletes a month’s rows of other runs (on PostgreSQL a month is a partition).
        Index("ix_segment_history_month", "month", "run_id").ddl_if(dialect="sqlite"),
        # PostgreSQL: one partition per month, so the write-back swaps a month in whole (jobs/writeback.py).
        {"postgresql_partition_by": "LIST (month)"},
    )
