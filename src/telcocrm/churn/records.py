"""Churn database operations, one transaction each (the caller commits): save attempts, survey answers, lists.

A refused save with a reason is the customer's own answer to the survey: at the leaving point (DS002) it makes or
updates the line's churn record of the current month; after leaving (DS003) it updates the record the line left
with. Every change of a record keeps its before and after (churn_record_history) and writes an audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import records_repository as repository
from telcocrm.churn import save_offers
from telcocrm.churn.cost_cap import load_retention_rules
from telcocrm.churn.measures import check_offer
from telcocrm.churn.records_repository import RecordFilter, WinBackFilter, WinBackRow
from telcocrm.churn.records_rules import RecordsRules, classify, load_records_rules
from telcocrm.churn.records_schemas import ChurnRecordUpdate, SaveAttemptCreate
from telcocrm.config import get_settings
from telcocrm.db.types import utc_now
from telcocrm.kit.months import month_of
from telcocrm.models import ChurnRecord, Customer, SaveAttempt, Subscriber
from telcocrm.models.enums import ChurnDestination, ChurnReason, ChurnRecordSource, SaveFlow, SaveOutcome
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer

SURVEYED = ("reason", "controllability", "urgency", "destination", "competitor")


@dataclass(frozen=True)
class Recorded:
    attempt: SaveAttempt
    record: ChurnRecord | None  # the churn record the attempt made or updated, if any


def local_month(now: datetime | None = None) -> str:
    """The current month in the operator's zone."""
    return month_of((now or utc_now()).astimezone(get_settings().zone).date())


def record_save_attempt(
    *, db: Session, viewer: Viewer, data: SaveAttemptCreate, store: AnalyticsStore | None = None
) -> Recorded:
    """Append a save attempt with the cap of that moment; an offer above the cap is refused (Conflict)."""
    rules = load_records_rules()
    line, customer = _line(db, data)
    counter = save_offers.counter(db, line, customer, data.reason, rules=rules, store=store)
    measure = None
    if data.measure_code:
        measure = check_offer(load_retention_rules(), data.measure_code, counter.cap.cap_fen)
    record = _answer_survey(db, viewer, line, customer, data, rules)
    attempt = SaveAttempt(
        subscriber_code=line.subscriber_code, customer_code=customer.code,
        churn_record_id=record.id if record else _newest_record_id(db, line, data.flow), flow=data.flow,
        reason=data.reason, measure_code=measure.code if measure else None,
        offer_cost_fen=measure.cost_fen if measure else None, cap_fen=counter.cap.cap_fen, outcome=data.outcome,
        note=data.note, staff=viewer.username,
    )  # fmt: skip
    db.add(attempt)
    db.flush()
    audit.record(
        db=db, viewer=viewer, action="churn.save_attempt", resource_type="subscriber",
        resource_id=line.subscriber_code,
        detail={"attempt": attempt.id, "flow": data.flow.value, "outcome": data.outcome.value,
                "measure": attempt.measure_code, "cap_fen": attempt.cap_fen},
    )  # fmt: skip
    return Recorded(attempt, record)


def _line(db: Session, data: SaveAttemptCreate) -> tuple[Subscriber, Customer]:
    if data.subscriber_code:
        return save_offers.line_and_customer(db, data.subscriber_code)
    return save_offers.find_line(db, data.service_number or "")


def _newest_record_id(db: Session, line: Subscriber, flow: SaveFlow) -> int | None:
    """A win-back attempt belongs to the record the line last left with."""
    if flow is not SaveFlow.WIN_BACK:
        return None
    record = repository.newest_record_of_line(db, line.subscriber_code)
    return record.id if record else None


def _answer_survey(
    db: Session, viewer: Viewer, line: Subscriber, customer: Customer, data: SaveAttemptCreate, rules: RecordsRules
) -> ChurnRecord | None:
    """A refusal with a reason is recorded as the line's churn reason (DS002: this month's record, made if none)."""
    if data.outcome is not SaveOutcome.REFUSED or data.reason is None or data.flow is SaveFlow.CALLBACK:
        return None
    if data.flow is SaveFlow.LEAVING_POINT:
        record = repository.record_of_line(db, line.subscriber_code, local_month())
        if record is None:
            return _new_counter_record(db, viewer, line, customer, data.reason, rules)
    else:
        record = repository.newest_record_of_line(db, line.subscriber_code)
        if record is None:
            return None
    if record.reason is not data.reason:
        _apply(
            db, viewer, record, {"reason": data.reason} | _defaults(data.reason, rules), f"{data.flow.value} refused"
        )
    return record


def _defaults(reason: ChurnReason, rules: RecordsRules) -> dict[str, Any]:
    found = classify(reason, rules)
    return {"controllability": found.controllability, "urgency": found.urgency}


def _new_counter_record(
    db: Session, viewer: Viewer, line: Subscriber, customer: Customer, reason: ChurnReason, rules: RecordsRules
) -> ChurnRecord:
    """The record of a leave announced at the counter; the monthly run adds the facts billing confirms."""
    tier, _month = repository.published_value_tier(db, customer.code)
    record = ChurnRecord(
        subscriber_code=line.subscriber_code, customer_code=customer.code, month_left=local_month(),
        product=line.product.value, brand=line.brand, value_tier=tier, reason=reason, **_defaults(reason, rules),
        destination=ChurnDestination.UNKNOWN, source=ChurnRecordSource.COUNTER, recorded_by=viewer.username,
    )  # fmt: skip
    db.add(record)
    db.flush()
    audit.record(
        db=db, viewer=viewer, action="churn.record", resource_type="churn_record", resource_id=str(record.id),
        detail={"subscriber": line.subscriber_code, "reason": reason.value, "source": "counter"},
    )  # fmt: skip
    return record


def update_record(*, db: Session, viewer: Viewer, record_id: int, data: ChurnRecordUpdate) -> ChurnRecord:
    """Record a survey's answers; a new reason without a classification takes the reason's defaults."""
    record = repository.get_record(db, record_id, for_update=True)
    changes = data.model_dump(exclude_unset=True, exclude={"note"})
    if data.reason is not None and data.reason is not record.reason:
        given = classify(data.reason, load_records_rules(), controllability=data.controllability, urgency=data.urgency)
        changes |= {"controllability": given.controllability, "urgency": given.urgency}
    changes = {name: value for name, value in changes.items() if getattr(record, name) != value}
    if changes:
        _apply(db, viewer, record, changes, data.note)
    return record


def _apply(db: Session, viewer: Viewer, record: ChurnRecord, changes: dict[str, Any], note: str | None) -> None:
    """Change a record, append its history entry and the audit record."""
    before = {name: _plain(getattr(record, name)) for name in changes}
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_by, record.updated_at = viewer.username, utc_now()
    after = {name: _plain(value) for name, value in changes.items()}
    repository.add_history(
        db, [{"churn_record_id": record.id, "before": before, "after": after, "note": note, "actor": viewer.username}]
    )
    audit.record(
        db=db, viewer=viewer, action="churn.change", resource_type="churn_record", resource_id=str(record.id),
        fields=sorted(changes), detail={"before": before, "after": after},
    )  # fmt: skip


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def list_records(*, db: Session, wanted: RecordFilter, offset: int, limit: int) -> tuple[list[ChurnRecord], int]:
    """A page of churn records and how many match."""
    return repository.page_records(db, wanted, offset, limit)


def win_back_list(
    *, db: Session, wanted: WinBackFilter, offset: int = 0, limit: int | None = None
) -> tuple[list[WinBackRow], int]:
    """The win-back list (DS003) of a month under the rules of records.toml, most valuable first."""
    return repository.win_back_page(db, wanted, load_records_rules().win_back, offset, limit)


def record_history(*, db: Session, record_id: int) -> list[dict[str, Any]]:
    """Every change of a record, oldest first."""
    repository.get_record(db, record_id)
    return [
        {"at": entry.at, "actor": entry.actor, "before": entry.before, "after": entry.after, "note": entry.note}
        for entry in repository.history_of(db, record_id)
    ]
