"""The audit trail: every unmasked view of personal data and every change, appended, never edited."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from telcocrm.db.types import utc_now
from telcocrm.models import AuditRecord
from telcocrm.staff.rules import Viewer


def record(
    *,
    db: Session,
    viewer: Viewer,
    action: str,
    resource_type: str,
    resource_id: str,
    fields: list[str] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit record (a single INSERT, cheap enough for every read)."""
    db.execute(entry_statement(), entry_params(viewer, action, resource_type, resource_id, fields, detail))


@cache
def entry_statement() -> Insert:
    """The INSERT of one audit record, built once (the hot reads run it on their own connections too)."""
    table = AuditRecord.__table__
    assert isinstance(table, Table)
    names = ("at", "actor", "role", "action", "resource_type", "resource_id", "fields", "detail")
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})


def entry_params(
    viewer: Viewer,
    action: str,
    resource_type: str,
    resource_id: str,
    fields: list[str] | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of one audit record."""
    return {
        "at": utc_now(),
        "actor": viewer.username,
        "role": viewer.role.value,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "fields": fields,
        "detail": detail,
    }


def record_unmasked_view(*, db: Session, viewer: Viewer, resource_type: str, resource_id: str, seen: set[str]) -> None:
    """Audit a view that showed personal data in full; nothing is written when everything was masked."""
    if seen:
        record(
            db=db,
            viewer=viewer,
            action="view_unmasked",
            resource_type=resource_type,
            resource_id=resource_id,
            fields=sorted(seen),
        )


def recent(*, db: Session, limit: int = 100, actor: str | None = None) -> list[AuditRecord]:
    """The newest audit records, optionally of one staff member."""
    stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditRecord.actor == actor)
    return list(db.execute(stmt).scalars())
