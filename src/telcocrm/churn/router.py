"""The churn database API (/api/churn/…): save attempts, the counter's offers, churn records and the win-back list.

Reading records and the win-back list needs churn:read; recording attempts, survey answers and the counter's
offers (which show the customer) churn:save. Every write commits before the response.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from telcocrm.api_deps import PageDep, ReadSessionDep, SessionDep, require
from telcocrm.churn import records, save_offers
from telcocrm.churn.records_repository import RecordFilter, WinBackFilter, WinBackRow
from telcocrm.churn.records_rules import load_records_rules
from telcocrm.churn.records_schemas import (
    ChurnRecordRead,
    ChurnRecordUpdate,
    OfferRead,
    SaveAttemptCreate,
    SaveAttemptRead,
    SaveOffersRead,
    WinBackRead,
)
from telcocrm.customers.present import MOBILE_LIKE
from telcocrm.kit.months import parse_month
from telcocrm.kit.timefmt import local_iso
from telcocrm.models import ChurnRecord, SaveAttempt
from telcocrm.models.enums import ChurnDestination, ChurnReason
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer, shown

router = APIRouter(prefix="/api/churn", tags=["churn"])

Reader = Annotated[Viewer, Depends(require("churn:read"))]
Saver = Annotated[Viewer, Depends(require("churn:save"))]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


def record_read(record: ChurnRecord) -> ChurnRecordRead:
    """One churn record (times in the operator's zone)."""
    return ChurnRecordRead(
        id=record.id, subscriber_code=record.subscriber_code, customer_code=record.customer_code,
        month_left=record.month_left, terminated_date=record.terminated_date, product=record.product,
        brand=record.brand, value_tier=record.value_tier, arpu_fen=record.arpu_fen, reason=record.reason,
        controllability=record.controllability, urgency=record.urgency, destination=record.destination,
        competitor=record.competitor, source=record.source, recorded_by=record.recorded_by,
        recorded_at=local_iso(record.recorded_at) or "", updated_by=record.updated_by,
        updated_at=local_iso(record.updated_at),
    )  # fmt: skip


def attempt_read(attempt: SaveAttempt) -> SaveAttemptRead:
    """One save attempt."""
    return SaveAttemptRead(
        id=attempt.id, subscriber_code=attempt.subscriber_code, customer_code=attempt.customer_code,
        churn_record_id=attempt.churn_record_id, flow=attempt.flow, reason=attempt.reason,
        measure_code=attempt.measure_code, offer_cost_fen=attempt.offer_cost_fen, cap_fen=attempt.cap_fen,
        outcome=attempt.outcome, note=attempt.note, staff=attempt.staff, at=local_iso(attempt.at) or "",
    )  # fmt: skip


def service_number_shown(viewer: Viewer, product: str | None, number: str | None, seen: set[str]) -> str | None:
    """A service number as the role may see it: phone-like numbers are personal data."""
    if number is None or product not in MOBILE_LIKE:
        return number
    return shown(viewer, "phone", number, seen)


@router.post("/save-attempts", status_code=status.HTTP_201_CREATED)
def add_save_attempt(db: SessionDep, viewer: Saver, body: SaveAttemptCreate) -> SaveAttemptRead:
    """Record a save attempt (DS002 by default): reason, the offer chosen (refused above the cap), outcome."""
    done = records.record_save_attempt(db=db, viewer=viewer, data=body)
    db.commit()
    return attempt_read(done.attempt)


@router.get("/save-offers")
def get_save_offers(
    db: SessionDep,
    viewer: Saver,
    service_number: Annotated[str, Query(min_length=1)],
    reason: ChurnReason | None = None,
) -> SaveOffersRead:
    """The line, its customer (masked as the role requires), value, stage, cap and the offers within the cap."""
    line, customer = save_offers.find_line(db, service_number)
    found = save_offers.counter(db, line, customer, reason, rules=load_records_rules())
    seen: set[str] = set()
    number = service_number_shown(viewer, line.product.value, line.service_number, seen) or ""
    audit.record_unmasked_view(db=db, viewer=viewer, resource_type="subscriber", resource_id=line.subscriber_code,
                               seen=seen)  # fmt: skip
    db.commit()
    return SaveOffersRead(
        subscriber_code=line.subscriber_code, service_number=number, product=line.product.value,
        line_status=line.status.value, customer_code=customer.code, customer_name=customer.name,
        value_tier=found.value_tier, lifecycle_stage=found.lifecycle_stage, cap_fen=found.cap.cap_fen,
        cap_month=found.cap.month, cap_computed=found.cap.computed, reason=reason, signals=list(found.signals),
        offers=[
            OfferRead(code=m.code, name_zh=m.name_zh, name_en=m.name_en, cost_fen=m.cost_fen, signals=list(m.signals),
                      description=m.description)
            for m in found.offers
        ],
    )  # fmt: skip


@router.get("/records")
def list_records(
    db: ReadSessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    month: Month = None,
    reason: ChurnReason | None = None,
    destination: ChurnDestination | None = None,
    customer: str | None = None,
) -> list[ChurnRecordRead]:
    """Churn records, newest leaving month first; X-Total-Count says how many match."""
    offset, limit = page
    wanted = RecordFilter(month=month, reason=reason, destination=destination, customer_code=customer)
    found, total = records.list_records(db=db, wanted=wanted, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(found))
    return [record_read(record) for record in found]


@router.patch("/records/{record_id}")
def update_record(db: SessionDep, viewer: Saver, record_id: int, body: ChurnRecordUpdate) -> ChurnRecordRead:
    """Survey answers: reason, controllability, urgency, destination, competitor (history and audit kept)."""
    record = records.update_record(db=db, viewer=viewer, record_id=record_id, data=body)
    db.commit()
    return record_read(record)


@router.get("/records/{record_id}/history")
def record_history(db: ReadSessionDep, viewer: Reader, record_id: int) -> list[dict[str, object]]:
    """Every change of a churn record, oldest first."""
    return [entry | {"at": local_iso(entry["at"])} for entry in records.record_history(db=db, record_id=record_id)]


def win_back_read(viewer: Viewer, row: WinBackRow, seen: set[str]) -> WinBackRead:
    """A win-back line with the customer's name and the line's number as the role may see it."""
    number = service_number_shown(viewer, row.record.product, row.service_number, seen)
    return WinBackRead(record=record_read(row.record), customer_name=row.customer_name, service_number=number)


@router.get("/win-back")
def win_back(
    db: ReadSessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    month: Month = None,
    value_tier: Annotated[str | None, Query(pattern="^(high|mid|low)$")] = None,
    reason: ChurnReason | None = None,
    destination: ChurnDestination | None = None,
) -> list[WinBackRead]:
    """Lines to win back (DS003) as of a month (default: the current one), the most valuable first."""
    offset, limit = page
    as_of = month or records.local_month()
    parse_month(as_of)
    wanted = WinBackFilter(as_of_month=as_of, value_tier=value_tier, reason=reason, destination=destination)
    rows, total = records.win_back_list(db=db, wanted=wanted, offset=offset, limit=limit)
    seen: set[str] = set()
    shown_rows = [win_back_read(viewer, row, seen) for row in rows]
    audit.record_unmasked_view(db=db, viewer=viewer, resource_type="win_back", resource_id=as_of, seen=seen)
    db.commit()
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(rows))
    return shown_rows
