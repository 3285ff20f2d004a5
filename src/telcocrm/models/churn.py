"""The churn database (seed 001 DA003): every churned line with its reason, the history of its changes, and every
save attempt (DS001 callback, DS002 at the leaving point, DS003 win-back)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import (
    ChurnControllability,
    ChurnDestination,
    ChurnReason,
    ChurnRecordSource,
    ChurnUrgency,
    SaveFlow,
    SaveOutcome,
)


class ChurnRecord(Base):
    """One churned line and leaving month: facts from the monthly run, reason and destination from the survey.

    Keyed by codes without foreign keys, like the monthly histories: a code never changes, and the record must
    outlive any change of the customer (merge, split, cancel).
    """

    __tablename__ = "churn_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_code: Mapped[str] = mapped_column(String(20), nullable=False)
    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    month_left: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    terminated_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # null until billing confirms it
    product: Mapped[str | None] = mapped_column(String(32), nullable=True)
    brand: Mapped[str | None] = mapped_column(String(32), nullable=True)
    value_tier: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the customer's, in the month left
    arpu_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the line's 3-month ARPU at leaving
    reason: Mapped[ChurnReason | None] = mapped_column(enum_type(ChurnReason, "churn_reason"), nullable=True)
    controllability: Mapped[ChurnControllability | None] = mapped_column(
        enum_type(ChurnControllability, "churn_controllability"), nullable=True
    )
    urgency: Mapped[ChurnUrgency | None] = mapped_column(enum_type(ChurnUrgency, "churn_urgency"), nullable=True)
    destination: Mapped[ChurnDestination] = mapped_column(
        enum_type(ChurnDestination, "churn_destination"), nullable=False, default=ChurnDestination.UNKNOWN
    )
    competitor: Mapped[str | None] = mapped_column(String(100), nullable=True)  # free text: who they went to
    source: Mapped[ChurnRecordSource] = mapped_column(
        enum_type(ChurnRecordSource, "churn_record_source"), nullable=False
    )
    recorded_by: Mapped[str] = mapped_column(String(80), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("subscriber_code", "month_left"),  # also "the records of one line"
        Index("ix_churn_record_month_left", "month_left"),
        Index("ix_churn_record_customer_code", "customer_code"),
    )


class ChurnRecordHistory(Base):
    """Append-only: every change of a churn record after it was made, who, when, before and after."""

    __tablename__ = "churn_record_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    churn_record_id: Mapped[int] = mapped_column(ForeignKey("churn_record.id"), nullable=False, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)


class SaveAttempt(Base):
    """Append-only: one try to keep or win back a line, what was offered within which cap, and how it ended."""

    __tablename__ = "save_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_code: Mapped[str] = mapped_column(String(20), nullable=False)
    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    churn_record_id: Mapped[int | None] = mapped_column(ForeignKey("churn_record.id"), nullable=True, index=True)
    flow: Mapped[SaveFlow] = mapped_column(enum_type(SaveFlow, "save_flow"), nullable=False)
    reason: Mapped[ChurnReason | None] = mapped_column(enum_type(ChurnReason, "save_reason"), nullable=True)
    measure_code: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the offer chosen, if any
    offer_cost_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cap_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the retention cost cap at that moment
    outcome: Mapped[SaveOutcome] = mapped_column(enum_type(SaveOutcome, "save_outcome"), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    staff: Mapped[str] = mapped_column(String(80), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (Index("ix_save_attempt_subscriber_code_flow", "subscriber_code", "flow"),)


@event.listens_for(ChurnRecordHistory, "before_update")
@event.listens_for(ChurnRecordHistory, "before_delete")
@event.listens_for(SaveAttempt, "before_update")
@event.listens_for(SaveAttempt, "before_delete")
def _append_only(_mapper: Any, _connection: Any, target: ChurnRecordHistory | SaveAttempt) -> None:
    raise RuntimeError(f"{type(target).__name__} {target.id} is append-only: write a new entry instead")
