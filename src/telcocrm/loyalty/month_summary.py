"""The points ledger by month and kind (points_month_summary), written with the entries so reading it scans nothing.

Every transaction that writes entries appends, in that transaction, what it wrote per month and kind: the
summary commits or rolls back with its entries, so it never loses nor double-counts one. Writers only insert
(two redemptions at once never wait for one summary row); the jobs fold the parts into one row per month and kind.
A reversal counts with the kind it undoes; awards and their corrections in the month earned for, every other
entry in the operator's month it was recorded (the analyst page, docs/rules.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select

from telcocrm.config import get_settings
from telcocrm.db.base import Base
from telcocrm.kit.months import month_of
from telcocrm.loyalty.ledger_repository import ENTRY, EntryRecord
from telcocrm.models import PointsMonthSummary
from telcocrm.models.enums import PointsEntryKind

SUMMARY = Base.metadata.tables[PointsMonthSummary.__tablename__]
Part = tuple[str, PointsEntryKind, int]  # month, kind the points count as, points
Sums = dict[str, dict[PointsEntryKind, int]]


def local_month(moment: datetime) -> str:
    """The operator's month of a moment."""
    return month_of(moment.astimezone(get_settings().zone).date())


def add(conn: Connection, parts: Iterable[Part]) -> None:
    """Append what a transaction wrote, one row per month and kind (a part summing to zero writes nothing)."""
    totals: dict[tuple[str, PointsEntryKind], int] = defaultdict(int)
    for month, kind, points in parts:
        totals[(month, PointsEntryKind(kind))] += int(points)
    rows = [{"month": m, "kind": k, "points": p} for (m, k), p in sorted(totals.items()) if p]
    if rows:
        conn.execute(insert(SUMMARY), rows)


def add_entries(conn: Connection, entries: Iterable[EntryRecord], counts_as: PointsEntryKind | None = None) -> None:
    """Append entries just written; `counts_as` is the kind a reversal undoes."""
    add(conn, ((e.month or local_month(e.recorded_at), counts_as or e.kind, e.points) for e in entries))


def fold(conn: Connection) -> int:
    """Merge the summary's rows into one per month and kind; how many rows were merged.

    One DELETE … RETURNING takes exactly the rows it removes and they are added back summed, so a writer's part
    committed meanwhile (not seen by the DELETE) stays as it is, and a second fold at once skips rows the first
    removed (PostgreSQL) or waits for the write lock (SQLite).
    """
    removed = conn.execute(delete(SUMMARY).returning(SUMMARY.c.month, SUMMARY.c.kind, SUMMARY.c.points)).all()
    add(conn, ((month, kind, points) for month, kind, points in removed))
    return len(removed)


def monthly_sums(conn: Connection) -> Sums:
    """Points by month and kind as the summary holds them (what the analyst page reads)."""
    stmt = select(SUMMARY.c.month, SUMMARY.c.kind, func.sum(SUMMARY.c.points)).group_by(SUMMARY.c.month, SUMMARY.c.kind)
    return _sums(conn.execute(stmt))


def ledger_sums(conn: Connection, zone: ZoneInfo, now: datetime) -> Sums:
    """The same figures aggregated afresh over every entry: a scan of the ledger, to check the summary by."""
    entry, undone = ENTRY.alias("entry"), ENTRY.alias("undone")
    inner = (
        select(
            func.coalesce(entry.c.month, _local_month(conn, entry.c.recorded_at, zone, now)).label("month"),
            func.coalesce(undone.c.kind, entry.c.kind).label("kind"),
            entry.c.points,
        )
        .select_from(entry.outerjoin(undone, entry.c.reverses_id == undone.c.id))
        .subquery()
    )
    stmt = select(inner.c.month, inner.c.kind, func.sum(inner.c.points)).group_by(inner.c.month, inner.c.kind)
    return _sums(conn.execute(stmt))


def _sums(rows: Iterable[Any]) -> Sums:
    sums: Sums = defaultdict(lambda: defaultdict(int))
    for month, kind, points in rows:
        sums[month][PointsEntryKind(kind)] += int(points)
    kept = {month: {kind: points for kind, points in by_kind.items() if points} for month, by_kind in sums.items()}
    return {month: by_kind for month, by_kind in kept.items() if by_kind}  # a month netting to nothing is not shown


def _local_month(conn: Connection, moment: ColumnElement[Any], zone: ZoneInfo, now: datetime) -> ColumnElement[str]:
    """`YYYY-MM` of a stored UTC moment in the operator's zone, in the database's own dialect."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone(zone.key, moment), "YYYY-MM")
    # SQLite keeps naive UTC text; the zone's offset today is exact for a zone without summer time (Asia/Shanghai).
    offset = now.astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.strftime("%Y-%m", moment, f"{minutes:+d} minutes")
