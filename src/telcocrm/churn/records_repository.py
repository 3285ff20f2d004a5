"""All queries of the churn database: churn records, their history, save attempts and the win-back list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from telcocrm.churn.records_rules import WinBackRule, win_back_since
from telcocrm.customers.records import latest_month
from telcocrm.errors import NotFound
from telcocrm.models import (
    AssessmentRun,
    ChurnRecord,
    ChurnRecordHistory,
    Customer,
    LifecycleHistory,
    SaveAttempt,
    SegmentHistory,
    Subscriber,
)
from telcocrm.models.enums import ChurnDestination, ChurnReason, SaveFlow, SaveOutcome

INSERT_CHUNK = 5_000  # rows per multi-row INSERT: well inside SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class RecordFilter:
    """What the churn records list may be narrowed to."""

    month: str | None = None
    reason: ChurnReason | None = None
    destination: ChurnDestination | None = None
    customer_code: str | None = None


@dataclass(frozen=True)
class WinBackFilter:
    """The win-back list of a month, optionally narrowed further by staff."""

    as_of_month: str
    value_tier: str | None = None
    reason: ChurnReason | None = None
    destination: ChurnDestination | None = None


@dataclass(frozen=True)
class WinBackRow:
    record: ChurnRecord
    customer_name: str | None
    service_number: str | None


# --- churn records ------------------------------------------------------------------------------------------------


def get_record(db: Session, record_id: int, *, for_update: bool = False) -> ChurnRecord:
    """The churn record with this id, or NotFound naming it."""
    stmt = select(ChurnRecord).where(ChurnRecord.id == record_id)
    found = db.execute(stmt.with_for_update() if for_update else stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"离网记录 {record_id} 不存在 / churn record {record_id} not found", field="id", record=str(record_id)
        )
    return found


def record_of_line(db: Session, subscriber_code: str, month: str) -> ChurnRecord | None:
    """The line's churn record of a leaving month, if any."""
    stmt = select(ChurnRecord).where(ChurnRecord.subscriber_code == subscriber_code, ChurnRecord.month_left == month)
    return db.execute(stmt).scalar_one_or_none()


def newest_record_of_line(db: Session, subscriber_code: str) -> ChurnRecord | None:
    """The line's churn record of its latest leaving month, if it ever left."""
    stmt = (
        select(ChurnRecord)
        .where(ChurnRecord.subscriber_code == subscriber_code)
        .order_by(ChurnRecord.month_left.desc())
        .limit(1)
    )
    return db.execute(stmt).scalar_one_or_none()


def records_of_month(db: Session, month: str) -> dict[str, ChurnRecord]:
    """The churn records of a leaving month by subscriber code."""
    stmt = select(ChurnRecord).where(ChurnRecord.month_left == month)
    return {record.subscriber_code: record for record in db.execute(stmt).scalars()}


def open_counter_records(db: Session, month: str) -> list[ChurnRecord]:
    """Records a counter made for the month that billing has not confirmed yet (a few: staff make them one by one).

    Not narrowed by the month's leavers in SQL: at 10M subscribers they are some 140,000 codes, more than the
    65,535 parameters a PostgreSQL statement may carry; the caller keeps those of its leavers.
    """
    stmt = select(ChurnRecord).where(ChurnRecord.month_left == month, ChurnRecord.terminated_date.is_(None))
    return list(db.execute(stmt).scalars())


def insert_records(db: Session, rows: list[dict[str, Any]]) -> None:
    """Insert churn records in chunks of multi-row INSERTs (the monthly run's leavers)."""
    for start in range(0, len(rows), INSERT_CHUNK):
        db.execute(insert(ChurnRecord), rows[start : start + INSERT_CHUNK])


def add_history(db: Session, entries: list[dict[str, Any]]) -> None:
    """Append history entries of churn records."""
    if entries:
        db.execute(insert(ChurnRecordHistory), entries)


def history_of(db: Session, record_id: int) -> list[ChurnRecordHistory]:
    """Every change of a record, oldest first."""
    stmt = select(ChurnRecordHistory).where(ChurnRecordHistory.churn_record_id == record_id)
    return list(db.execute(stmt.order_by(ChurnRecordHistory.id)).scalars())


def page_records(db: Session, wanted: RecordFilter, offset: int, limit: int) -> tuple[list[ChurnRecord], int]:
    """A page of churn records, newest leaving month first, and how many match."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.month:
        conditions.append(ChurnRecord.month_left == wanted.month)
    if wanted.reason:
        conditions.append(ChurnRecord.reason == wanted.reason)
    if wanted.destination:
        conditions.append(ChurnRecord.destination == wanted.destination)
    if wanted.customer_code:
        conditions.append(ChurnRecord.customer_code == wanted.customer_code)
    stmt = select(ChurnRecord).where(*conditions)
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    order = (ChurnRecord.month_left.desc(), ChurnRecord.id)
    return list(db.execute(stmt.order_by(*order).offset(offset).limit(limit)).scalars()), total


# --- save attempts ------------------------------------------------------------------------------------------------


def attempts_of_line(db: Session, subscriber_code: str, limit: int = 20) -> list[SaveAttempt]:
    """The line's save attempts, newest first."""
    stmt = select(SaveAttempt).where(SaveAttempt.subscriber_code == subscriber_code)
    return list(db.execute(stmt.order_by(SaveAttempt.id.desc()).limit(limit)).scalars())


def _won_back(record: type[ChurnRecord] = ChurnRecord) -> ColumnElement[bool]:
    """A DS003 attempt for the line ended "saved" after it left."""
    return exists().where(
        SaveAttempt.subscriber_code == record.subscriber_code,
        SaveAttempt.flow == SaveFlow.WIN_BACK,
        SaveAttempt.outcome == SaveOutcome.SAVED,
    )


# --- the win-back list (DS003) ---------------------------------------------------------------------------------------


def _win_back_query(wanted: WinBackFilter, rule: WinBackRule) -> Select[Any]:
    """The rule's conditions; a staff filter narrows within them (a tier the rule leaves out finds nothing)."""
    conditions = [
        ChurnRecord.month_left.between(win_back_since(wanted.as_of_month, rule), wanted.as_of_month),
        ChurnRecord.destination.in_(rule.destinations),
        ChurnRecord.value_tier.in_(rule.value_tiers),
        ChurnRecord.controllability.in_(rule.controllability),
        ~_won_back(),
    ]
    if wanted.value_tier:
        conditions.append(ChurnRecord.value_tier == wanted.value_tier)
    if wanted.destination:
        conditions.append(ChurnRecord.destination == wanted.destination)
    if wanted.reason:
        conditions.append(ChurnRecord.reason == wanted.reason)
    return select(ChurnRecord).where(*conditions)


def win_back_page(
    db: Session, wanted: WinBackFilter, rule: WinBackRule, offset: int, limit: int | None
) -> tuple[list[WinBackRow], int]:
    """Lines worth winning back, the most valuable first (tier, then ARPU at leaving), and how many there are."""
    base = _win_back_query(wanted, rule).subquery()
    total = db.execute(select(func.count()).select_from(base)).scalar_one()
    tier_order = case({"high": 0, "mid": 1}, value=ChurnRecord.value_tier, else_=2)
    stmt = (
        _win_back_query(wanted, rule)
        .add_columns(Customer.name, Subscriber.service_number)
        .outerjoin(Customer, Customer.code == ChurnRecord.customer_code)
        .outerjoin(Subscriber, Subscriber.subscriber_code == ChurnRecord.subscriber_code)
        .order_by(tier_order, ChurnRecord.arpu_fen.desc().nulls_last(), ChurnRecord.id)
        .offset(offset)
        .limit(limit)
    )
    rows = [WinBackRow(record, name, number) for record, name, number in db.execute(stmt)]
    return rows, total


# --- what the counter shows about a customer --------------------------------------------------------------------------


def latest_published_month(db: Session) -> str | None:
    """The newest month the monthly run has published (assessment_run)."""
    return db.execute(select(func.max(AssessmentRun.month))).scalar_one()


def published_value_tier(db: Session, customer_code: str) -> tuple[str | None, str | None]:
    """The customer's value tier in its newest published month, and that month."""
    history = SegmentHistory.__table__
    stmt = select(history.c.value_tier, history.c.month).where(
        latest_month(history, "customer_code", literal(customer_code, String))
    )
    row = db.execute(stmt).first()
    return (row[0], row[1]) if row else (None, None)


def published_lifecycle_stage(db: Session, subscriber_code: str) -> str | None:
    """The line's lifecycle stage in its newest published month."""
    history = LifecycleHistory.__table__
    stmt = select(history.c.lifecycle_stage).where(
        latest_month(history, "subscriber_code", literal(subscriber_code, String))
    )
    return db.execute(stmt).scalar_one_or_none()


def lines_by_service_number(db: Session, customer_id: int, service_number: str) -> list[Subscriber]:
    """The customer's lines with this service number, the newest first (a number can be reissued)."""
    stmt = select(Subscriber).where(
        and_(Subscriber.customer_id == customer_id, Subscriber.service_number == service_number)
    )
    return list(db.execute(stmt.order_by(Subscriber.activated_date.desc(), Subscriber.id.desc())).scalars())


def line_by_code(db: Session, subscriber_code: str) -> Subscriber:
    """The line with this subscriber code, or NotFound naming it."""
    found = db.execute(select(Subscriber).where(Subscriber.subscriber_code == subscriber_code)).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"用户 {subscriber_code} 不存在 / subscriber {subscriber_code} not found",
            field="subscriber_code",
            record=subscriber_code,
        )
    return found


def customer_code_of(db: Session, customer_id: int) -> str:
    """The code of a customer row."""
    return db.execute(select(Customer.code).where(Customer.id == customer_id)).scalar_one()
