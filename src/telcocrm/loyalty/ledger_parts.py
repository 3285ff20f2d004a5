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
    published = _published_in_code_order(awards)
    codes = published["customer_code"]
    starts = _starts(codes, _targets(len(codes), part_rows, parallel))
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(codes)
        first = None if index == 0 else codes[start].as_py()
        beyond = codes[end].as_py() if end < len(codes) else None
        yield published.slice(start, end - start), (first, beyond)


def _published_in_code_order(awards: pa.Table) -> pa.Table:
    """The published awards sorted by customer code: the table itself when it already is.

    The run hands over its awards file read with only the published rows, written in code order. At 10M
    subscribers that is GBs in Arrow, and a filtered or sorted copy beside it would double them.
    """
    published = pc.fill_null(awards["published"], False)
    if not pc.all(published).as_py():
        awards = awards.filter(published)
    codes = awards["customer_code"]
    if len(codes) > 1 and not pc.all(pc.greater_equal(codes[1:], codes[:-1])).as_py():
        awards = awards.sort_by("customer_code")  # stable: a customer's awards keep their order
    return awards


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


def _starts(codes: pa.ChunkedArray, targets: list[int]) -> list[int]:
    """Where each part begins: at each target, moved forward past the rest of a customer's awards.

    Only the codes around each target are looked at: no Python string is made for every award.
    """
    starts = [0]
    for target in targets[1:]:
        at = max(target, starts[-1] + 1)
        while at < len(codes) and codes[at].as_py() == codes[at - 1].as_py():
            at += 1
        if at < len(codes):
            starts.append(at)
    return starts
