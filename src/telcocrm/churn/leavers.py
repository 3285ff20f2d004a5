"""The monthly run's leavers into the churn database: every line terminated in the month becomes a churn record.

Facts come from the month's files: the line, its customer, product, brand and 3-month ARPU from the subscriber
features, the termination date from the base snapshot, the customer's value tier from the segments beside them.
The destination is own_product when the same customer has a line activated in the month or the next one (seed
001: about a third of leavers switch between the operator's own products), else unknown until surveyed.

A rerun of the month adds nothing twice and keeps what staff recorded: an existing record only gets facts it
lacked (a record made at the counter before billing confirmed the leave) and own_product for an unknown destination
nobody surveyed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Engine

from telcocrm.churn import records_repository as repository
from telcocrm.db.engine import session_scope
from telcocrm.db.types import utc_now
from telcocrm.kit.months import add_months, month_end, month_start, parse_month
from telcocrm.models import ChurnRecord
from telcocrm.models.enums import ChurnDestination, ChurnRecordSource
from telcocrm.staff import audit
from telcocrm.staff.rules import system_viewer

RECORDER = "monthly-run"
FEATURE_COLUMNS = ["subscriber_id", "customer_code", "product", "brand", "arpu_3m_fen"]


def record_month_leavers(
    database: Engine,
    month: str,
    features_path: Path,
    base_path: Path,
    *,
    next_base_path: Path | None = None,
    segments_path: Path | None = None,
) -> int:
    """Record the month's leavers (idempotent); the number of churn records added.

    `next_base_path` (default: the next month's base beside this one, when it exists) shows activations in the
    following month; `segments_path` (default: segments.parquet beside the features) gives value tiers.
    """
    parse_month(month)
    leavers = pq.read_table(features_path, columns=FEATURE_COLUMNS, filters=[("terminated_in_month", "==", True)])
    if leavers.num_rows == 0:
        return 0
    segments = segments_path or features_path.with_name("segments.parquet")
    facts = _facts(leavers, month, base_path, next_base_path or _next_base(base_path, month), segments)
    with session_scope(database) as db:
        existing = repository.records_of_month(db, month)
        adopted = _adopt_counter_records(db, month, facts, existing)
        rows = [_new_row(code, fact, month) for code, fact in facts.items() if code not in existing]
        repository.insert_records(db, rows)
        confirmed = _confirm_existing(db, existing, facts)
        audit.record(
            db=db, viewer=system_viewer(RECORDER), action="churn.record_leavers", resource_type="churn_month",
            resource_id=month, detail={"added": len(rows), "confirmed": confirmed + adopted},
        )  # fmt: skip
    return len(rows)


def _next_base(base_path: Path, month: str) -> Path | None:
    """The next month's base in the results store layout (results/month=M/base.parquet), if it was run."""
    sibling = base_path.parent.parent / f"month={add_months(month, 1)}" / base_path.name
    return sibling if base_path.parent.name == f"month={month}" and sibling.exists() else None


def _facts(
    leavers: pa.Table, month: str, base_path: Path, next_base: Path | None, segments_path: Path
) -> dict[str, dict[str, Any]]:
    """Per leaving line: customer, product, brand, ARPU, termination date, value tier, destination."""
    codes = leavers.column("subscriber_id")
    base = pq.read_table(base_path, columns=["subscriber_id", "activated_date", "terminated_date"])
    ended = base.filter(pc.is_in(base.column("subscriber_id"), codes))
    terminated = dict(
        zip(ended.column("subscriber_id").to_pylist(), ended.column("terminated_date").to_pylist(), strict=True)
    )
    switched = _customers_with_new_lines(month, codes, [p for p in (base_path, next_base) if p is not None])
    tiers = _value_tiers(segments_path, leavers.column("customer_code"))
    facts = {}
    for row in leavers.to_pylist():
        customer = row["customer_code"]
        facts[row["subscriber_id"]] = {
            "customer_code": customer,
            "product": row["product"],
            "brand": row["brand"],
            "arpu_fen": row["arpu_3m_fen"],
            "terminated_date": terminated.get(row["subscriber_id"]),
            "value_tier": tiers.get(customer),
            "own_product": customer in switched,
        }
    return facts


def _customers_with_new_lines(month: str, leaving: pa.ChunkedArray, bases: list[Path]) -> set[str]:
    """Customers with a line (not a leaving one) activated from the month's first day to the next month's last."""
    first, last = pa.scalar(month_start(month), pa.date32()), pa.scalar(month_end(add_months(month, 1)), pa.date32())
    found: set[str] = set()
    for path in bases:
        base = pq.read_table(path, columns=["subscriber_id", "customer_code", "activated_date"])
        activated = base.column("activated_date")
        new = pc.and_(pc.and_(pc.greater_equal(activated, first), pc.less_equal(activated, last)),
                      pc.invert(pc.is_in(base.column("subscriber_id"), leaving)))  # fmt: skip
        found.update(base.filter(new).column("customer_code").to_pylist())
    return found


def _value_tiers(segments_path: Path, customers: pa.ChunkedArray) -> dict[str, str]:
    """The value tier of these customers in the month (empty when the segments file is absent)."""
    if not segments_path.exists():
        return {}
    segments = pq.read_table(segments_path, columns=["customer_code", "value_tier"])
    wanted = segments.filter(pc.is_in(segments.column("customer_code"), customers))
    return dict(zip(wanted.column("customer_code").to_pylist(), wanted.column("value_tier").to_pylist(), strict=True))


def _new_row(code: str, fact: dict[str, Any], month: str) -> dict[str, Any]:
    destination = ChurnDestination.OWN_PRODUCT if fact["own_product"] else ChurnDestination.UNKNOWN
    return {
        "subscriber_code": code, "customer_code": fact["customer_code"], "month_left": month,
        "terminated_date": fact["terminated_date"], "product": fact["product"], "brand": fact["brand"],
        "value_tier": fact["value_tier"], "arpu_fen": fact["arpu_fen"], "destination": destination,
        "source": ChurnRecordSource.MONTHLY_RUN, "recorded_by": RECORDER, "recorded_at": utc_now(),
    }  # fmt: skip


def _adopt_counter_records(
    db: Any, month: str, facts: dict[str, dict[str, Any]], existing: dict[str, ChurnRecord]
) -> int:
    """A refusal recorded at the counter last month for a line billing ends this month moves to this month."""
    earlier = [
        record
        for record in repository.open_counter_records(db, add_months(month, -1))
        if record.subscriber_code in facts and record.subscriber_code not in existing
    ]
    for record in earlier:
        _change(db, record, {"month_left": month}, "billing confirmed the leave in a later month")
        existing[record.subscriber_code] = record
    return len(earlier)


def _confirm_existing(db: Any, existing: dict[str, ChurnRecord], facts: dict[str, dict[str, Any]]) -> int:
    """Fill what billing knows and a record lacks; never overwrite what staff recorded."""
    changed = 0
    for code, record in existing.items():
        fact = facts.get(code)
        if fact is None:
            continue
        changes = {
            name: fact[name]
            for name in ("terminated_date", "product", "brand", "value_tier", "arpu_fen")
            if getattr(record, name) is None and fact[name] is not None
        }
        if fact["own_product"] and record.destination is ChurnDestination.UNKNOWN and record.reason is None:
            changes["destination"] = ChurnDestination.OWN_PRODUCT
        if changes:
            _change(db, record, changes, "confirmed by the monthly run")
            changed += 1
    return changed


def _change(db: Any, record: ChurnRecord, changes: dict[str, Any], note: str) -> None:
    before = {name: _plain(getattr(record, name)) for name in changes}
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_by, record.updated_at = RECORDER, utc_now()
    db.flush()
    after = {name: _plain(value) for name, value in changes.items()}
    repository.add_history(
        db, [{"churn_record_id": record.id, "before": before, "after": after, "note": note, "actor": RECORDER}]
    )


def _plain(value: Any) -> Any:
    """A value as JSON keeps it."""
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)
