"""信用等级 credit rating history: one row per customer and month, as the monthly run decided it (append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, utc_now


class CreditRatingHistory(Base):
    """A month's credit rating and class of one customer, with the rules and reasons that decided them.

    Keyed by the customer code, not customer.id: the run writes millions of rows by bulk path, and codes never
    change. The columns are those of `analytics.schemas.CREDIT`; money is integer fen.
    """

    __tablename__ = "credit_rating_history"

    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    run_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # shown while assessment_run names it
    credit_rating: Mapped[str] = mapped_column(String(1), nullable=False)  # A | B | C
    credit_rule: Mapped[str] = mapped_column(String(120), nullable=False)
    credit_reason: Mapped[str] = mapped_column(Text, nullable=False)
    consecutive_a_months: Mapped[int] = mapped_column(Integer, nullable=False)
    credit_class: Mapped[str] = mapped_column(String(3), nullable=False)  # I | II | III
    class_rule: Mapped[str] = mapped_column(String(120), nullable=False)
    class_reason: Mapped[str] = mapped_column(Text, nullable=False)
    suspension_exempt_months: Mapped[int] = mapped_column(Integer, nullable=False)
    overdraft_limit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rental_eligible: Mapped[bool] = mapped_column(Boolean, nullable=False)
    discount_limit_pct: Mapped[int] = mapped_column(Integer, nullable=False)
    rules_version: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (
        # The key is also the index of "the history of one customer", newest month first.
        PrimaryKeyConstraint("customer_code", "month", "run_id"),
        # SQLite: the write-back deletes a month’s rows of other runs (on PostgreSQL a month is a partition).
        Index("ix_credit_rating_history_month", "month", "run_id").ddl_if(dialect="sqlite"),
        # PostgreSQL: one partition per month, so the write-back swaps a month in whole (jobs/writeback.py).
        {"postgresql_partition_by": "LIST (month)"},
    )
