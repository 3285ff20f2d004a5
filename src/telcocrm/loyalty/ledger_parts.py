"""The monthly posting in parts: each part a transaction of its own, so nobody waits long for the database.

On SQLite one writer holds the whole file: a million awards posted in one transaction would keep the web from
writing (a login, an audit record) for tens of seconds. The awards are cut, in customer code order, into parts
of about PART_ROWS rows that never split a customer; each part is posted as the month's whole truth for its
range of codes, and the ranges tile every code, so a customer with no award this month is still corrected.
Posting is idempotent, so a run that dies between parts is completed by running the month again.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine

from telcocrm.loyalty.ledger_awards import CodeRange, PostingSummary, post_awards
from telcocrm.loyalty.ledger_repository import ENTRY

PART_ROWS = 65_536  # awards per transaction: about three seconds of SQLite's write lock at 1M subscribers
# With parts in parallel, the first goes alone only to give the planner statistics of a month with entries: a
# small one will do, so the other connections wait less (docs/benchmarks.md § Loyalty).
FIRST_PART_ROWS = 8_192


def post_awards_in_parts(
    database: Engine,
    awards: pa.Table,
    *,
    month: str,
    expiry_years: int,
    recorded_by: str,
    part_rows: int = PART_ROWS,
    connections: int = 1,
) -> list[PostingSummary]:
    """Post the month's awards part by part (schemas.POINTS_AWARDS); what each part wrote.

    The first part goes alone, so the ledger's statistics can be refreshed before the others are planned; on
    PostgreSQL the others then go `connections` at a time, in parts of even size so that no connection is left
    posting the last one alone. Parts never share a customer, so never an account.
    """
    parallel = connections if database.dialect.name == "postgresql" else 1
    parts = _parts(awards, part_rows, parallel)

    def post(part: tuple[pa.Table, CodeRange]) -> PostingSummary:
        with database.begin() as conn:
            return post_awards(
                conn, part[0], month=month, expiry_years=expiry_years, recorded_by=recorded_by, within=part[1]
            )

    done = [post(next(parts))]  # there is always a first part: with no awards, one covering every code
    with database.begin() as conn:
        _refresh_statistics(conn)
    if parallel <= 1:
        return done + [post(part) for part in parts]
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="points-posting") as pool:
        return done + list(pool.map(post, parts))


def _refresh_statistics(conn: Connection) -> None:
    """PostgreSQL: statistics of the ledger after the month's first part, before the planner plans the others.

    A ledger that held none of the month's entries (or none at all) has statistics saying so, and the later
    parts' change-finding join was planned on them: one part of the 1M PostgreSQL benchmark ran for more than
    seven minutes before this; with it, the month's posting took 40 s (docs/benchmarks.md § Loyalty).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {ENTRY.name}")


def _parts(awards: pa.Table, part_rows: int, parallel: int) -> Iterator[tuple[pa.Table, CodeRange]]:
    """The published awards in code order, cut between customers, each part with the range of codes it covers."""
    published = awards.filter(pc.fill_null(awards["published"], False)).sort_by("customer_code")
    codes = published["customer_code"].to_pylist()
    starts = _starts(codes, _targets(len(codes), part_rows, parallel))
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(codes)
        first = None if index == 0 else codes[start]
        beyond = codes[end] if end < len(codes) else None
        yield published.slice(start, end - start), (first, beyond)


def _targets(rows: int, part_rows: int, parallel: int) -> list[int]:
    """Where parts would begin if customers could be split: every part_rows rows; in parallel, a small first part
    and then parts of even size, as many as fill every connection equally, none over part_rows."""
    if parallel <= 1 or rows <= FIRST_PART_ROWS:
        return list(range(0, rows, part_rows)) or [0]
    first = min(FIRST_PART_ROWS, part_rows)
    rest = rows - first
    count = -(-rest // part_rows)
    count += -count % parallel
    size = -(-rest // count)
    return [0, *range(first, rows, size)]


def _starts(codes: list[str], targets: list[int]) -> list[int]:
    """Where each part begins: at each target, moved forward past the rest of a customer's awards."""
    starts = [0]
    for target in targets[1:]:
        at = max(target, starts[-1] + 1)
        while at < len(codes) and codes[at] == codes[at - 1]:
            at += 1
        if at < len(codes):
            starts.append(at)
    return starts
