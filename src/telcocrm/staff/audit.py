"""The audit trail: every unmasked view of personal data and every change, appended, never edited."""

from __future__ import annotations

from functools import cache
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import Insert, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from telcocrm.db.read_plans import ReadPlan, ReadStep, run_plan
from telcocrm.db.types import utc_now
from telcocrm.models import AuditRecord
from telcocrm.staff.rules import Viewer


class Entry(TypedDict):
    """What one audit record says: who did what to which record, which fields it showed, any detail."""

    viewer: Viewer
    action: str
    resource_type: str
    resource_id: str
    fields: NotRequired[list[str] | None]
    detail: NotRequired[dict[str, Any] | None]


def record(*, db: Session, **entry: Unpack[Entry]) -> None:
    """Append one audit record (a single INSERT, cheap enough for every read)."""
    db.execute(*entry_step(**entry))


@cache
def entry_statement() -> Insert:
    """The INSERT of one audit record, built once (the hot reads run it on their own connections too)."""
    table = AuditRecord.__table__
    assert isinstance(table, Table)
    names = ("at", "actor", "role", "action", "resource_type", "resource_id", "fields", "detail")
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})


def entry_step(**entry: Unpack[Entry]) -> ReadStep:
    """The INSERT of one audit record with its values: a step of a plan (db/read_plans.py), or run by `record`."""
    viewer = entry["viewer"]
    return entry_statement(), {
        "at": utc_now(),
        "actor": viewer.username,
        "role": viewer.role.value,
        "action": entry["action"],
        "resource_type": entry["resource_type"],
        "resource_id": entry["resource_id"],
        "fields": entry.get("fields"),
        "detail": entry.get("detail"),
    }


def unmasked_view(viewer: Viewer, resource_type: str, resource_id: str, seen: set[str]) -> ReadPlan[None]:
    """The audit record of a view that showed personal data in full; no statement when everything was masked."""
    if seen:
        yield entry_step(
            viewer=viewer,
            action="view_unmasked",
            resource_type=resource_type,
            resource_id=resource_id,
            fields=sorted(seen),
        )


def record_unmasked_view(*, db: Session, viewer: Viewer, resource_type: str, resource_id: str, seen: set[str]) -> None:
    """Audit a view that showed personal data in full; nothing is written when everything was masked."""
    run_plan(db.connection(), unmasked_view(viewer, resource_type, resource_id, seen))


def recent(*, db: Session, limit: int = 100, actor: str | None = None) -> list[AuditRecord]:
    """The newest audit records, optionally of one staff member."""
    stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditRecord.actor == actor)
    return list(db.execute(stmt).scalars())
