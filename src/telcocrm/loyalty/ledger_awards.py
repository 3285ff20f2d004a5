"""The monthly posting of points awards to the ledger: set-based, idempotent, a million entries in a few statements.

The awards' keys and points are loaded into a temporary table by the bulk writer, and the month's keys already
posted for the same customers into another; the two are compared by key (customer, month, rule, source): new
keys are earned by one bulk write of the awards as they are (their reasons never pass through the database
twice), unchanged ones write nothing, and only the keys whose points changed (or that vanished from a complete
month) are corrected in Python, after their accounts are held: what remains of the old lots is taken back, the
new award earned anew.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    exists,
    func,
    insert,
    literal,
    select,
    union_all,
)

from telcocrm.analytics.schemas import POINTS_AWARDS
from telcocrm.db.types import UtcDateTime, utc_now
from telcocrm.errors import InvalidInput
from telcocrm.imports.writers import writer_for
from telcocrm.kit.months import month_end, parse_month
from telcocrm.loyalty import ledger_rules as rules
from telcocrm.loyalty import month_summary
from telcocrm.loyalty.ledger_repository import ACCOUNT, ENTRY, begin_immediate, insert_new_accounts
from telcocrm.models.enums import PointsAccountStatus, PointsEntryKind

KEY_COLUMNS = ("customer_code", "rule", "source")
CORRECTION_NOTE = "奖励积分更正 / award corrected by a rerun of the month"

_temporary = MetaData()
AWARD = Table(
    "points_award_load",  # the awards' keys and points: their reasons stay in Arrow until they are written
    _temporary,
    Column("line", Integer),  # the award's row in the part's published awards
    Column("customer_code", String(16)),
    Column("rule", String(120)),
    Column("source", String(120)),
    Column("points", BigInteger),
    prefixes=["TEMPORARY"],
)
Index("ix_points_award_load_key", AWARD.c.customer_code, AWARD.c.rule, AWARD.c.source)
POSTED = Table(
    "points_award_posted",  # the keys posted before for the part's customers, with their net points
    _temporary,
    Column("account_id", Integer),
    Column("customer_code", String(16)),
    Column("rule", String(120)),
    Column("source", String(120)),
    Column("awarded", BigInteger),  # net points of the key's earns and corrections so far
    Column("entries", Integer),  # how many: numbers the revision, so its keys are new
    prefixes=["TEMPORARY"],
)
CHANGE = Table(
    "points_award_change",
    _temporary,
    Column("account_id", Integer),
    Column("customer_code", String(16)),
    Column("rule", String(120)),
    Column("source", String(120)),
    Column("points", BigInteger),  # the award now (0: withdrawn)
    Column("awarded", BigInteger),  # net points of the key's earns and corrections so far
    Column("entries", Integer),  # how many: numbers the revision, so its keys are new
    prefixes=["TEMPORARY"],
)

TEMPORARY = (AWARD, POSTED, CHANGE)


@dataclass(frozen=True)
class PostingSummary:
    """What one posting of a month's awards wrote."""

    month: str
    accounts_opened: int
    earned_entries: int
    earned_points: int
    corrected_awards: int
    reversal_entries: int
    points_taken_back: int


@dataclass(frozen=True)
class _Posting:
    month: str
    earned_on: date
    expires_on: date
    recorded_at: datetime
    recorded_by: str


def award_keys(
    month: str,
    customer_codes: pa.Array | pa.ChunkedArray,
    award_rules: pa.Array | pa.ChunkedArray,
    sources: pa.Array | pa.ChunkedArray,
) -> pa.Array | pa.ChunkedArray:
    """The idempotency keys of a month's awards: customer, month, rule, source, written month first.

    Month first, a month's posting (in customer order) fills the unique index in its order, at its end, instead
    of beside each customer's keys of every earlier month, all over an index that grows every month.
    """
    return pc.binary_join_element_wise(month, customer_codes, award_rules, sources, "|")


def award_key(customer_code: str, month: str, rule: str, source: str) -> str:
    """One award's idempotency key (award_keys of one award)."""
    keys = award_keys(month, pa.array([customer_code]), pa.array([rule]), pa.array([source]))
    return str(keys[0].as_py())


CodeRange = tuple[str | None, str | None]  # customer codes from (inclusive) to (exclusive); None: no bound


def post_awards(
    conn: Connection,
    awards: pa.Table,
    *,
    month: str,
    expiry_years: int,
    recorded_by: str,
    month_complete: bool = True,
    within: CodeRange = (None, None),
) -> PostingSummary:
    """Post a month's published awards (schemas.POINTS_AWARDS); a rerun with the same awards writes nothing.

    An award whose points changed since the last posting is corrected (reversal, then a new earn). With
    `month_complete`, the awards are the month's whole truth for the customers `within` the range: a key posted
    before for one of them but absent now is withdrawn.
    """
    parse_month(month)
    published = published_awards(awards, month)
    posting = _Posting(month, month_end(month), rules.lot_expiry(month, expiry_years), utc_now(), recorded_by)
    begin_immediate(conn)  # SQLite: one writer from here; PostgreSQL holds the accounts it corrects
    for table in TEMPORARY:
        table.create(conn)
    writer = writer_for(conn, binary=True)
    lines = pa.array(range(published.num_rows), pa.int32())
    writer.insert(AWARD, published.drop_columns(["reason"]).append_column("line", lines))
    writer.flush()
    _plan_with_facts(conn)
    opened = _open_accounts(conn, posting.recorded_at)
    _read_posted(conn, month, within)
    summary = _correct(conn, posting, month_complete, published)
    earned, earned_points = _earn_new(conn, posting, published)
    # Earns and the reversals correcting them all count as the month's earnings (summary[4]: points taken back).
    month_summary.add(conn, [(month, PointsEntryKind.EARN, earned_points + summary[1] - summary[4])])
    for table in reversed(TEMPORARY):
        table.drop(conn)
    return PostingSummary(month, opened, earned + summary[0], earned_points + summary[1], *summary[2:])


def _plan_with_facts(conn: Connection) -> None:
    """PostgreSQL: let the planner see the awards just loaded and plan for a cached ledger, and spare it JIT.

    Autovacuum never analyses a temporary table, so without ANALYZE the planner guesses its size; and JIT
    compiles some 80 functions for the change-finding join, which costs more than the join (measured at 1M).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
        # The accounts and entries a posting reads were just written or read: in memory, where an index probe
        # costs about what a page of a scan does. At the default (4) the change-finding scanned the whole ledger
        # for each part rather than probe each account's month (1.6 s a part against 0.5 s, measured at 1M).
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        conn.exec_driver_sql(f"ANALYZE {AWARD.name} ({', '.join(KEY_COLUMNS)})")  # what the joins compare


def published_awards(awards: pa.Table, month: str) -> pa.Table:
    """The published rows, checked: the month's, points positive, each key once; the columns the posting reads."""
    for field in POINTS_AWARDS:
        if field.name not in awards.column_names:
            raise InvalidInput(f"积分奖励缺少列 {field.name} / awards lack column {field.name}", field=field.name)
    table = awards.select(POINTS_AWARDS.names).cast(POINTS_AWARDS)
    _refuse(table, pc.invert(pc.equal(table["month"], month)), "month", f"month must be {month}")
    table = table.filter(pc.fill_null(table["published"], False))
    for name in KEY_COLUMNS:
        _refuse(table, pc.is_null(table[name]), name, f"{name} is missing")
    _refuse(table, pc.less_equal(table["points"], 0), "points", "points must be positive")
    counts = table.group_by(list(KEY_COLUMNS)).aggregate([("points", "count")])
    repeated = counts.filter(pc.greater(counts["points_count"], 1))
    _refuse(repeated, pc.greater(repeated["points_count"], 1), "rule", "the same customer, rule and source twice")
    return table.select(["customer_code", "rule", "source", "points", "reason"])


def _refuse(table: pa.Table, bad: Any, field: str, english: str) -> None:
    """InvalidInput naming the first customer whose row is bad."""
    wrong = table.filter(pc.fill_null(bad, True))
    if wrong.num_rows:
        code = wrong["customer_code"][0].as_py()
        raise InvalidInput(
            f"客户 {code} 的积分奖励有误 / award of customer {code}: {english}", field=field, record=code
        )


def _open_accounts(conn: Connection, now: datetime) -> int:
    """Open an account for every awarded customer without one (one enrolled meanwhile over the API is skipped)."""
    missing = (
        select(
            AWARD.c.customer_code,
            literal(PointsAccountStatus.ACTIVE.value),
            literal(False),
            literal(False),
            literal(now, UtcDateTime()),
        )
        .where(~exists().where(ACCOUNT.c.customer_code == AWARD.c.customer_code))
        .distinct()
    )
    columns = ["customer_code", "status", "opted_in", "points_sensitive", "opened_at"]
    stmt = insert_new_accounts(conn).from_select(columns, missing).returning(ACCOUNT.c.id)
    return len(conn.execute(stmt).all())


def _earn_new(conn: Connection, posting: _Posting, published: pa.Table) -> tuple[int, int]:
    """One earn entry per award never posted (its key is absent), written in one bulk write; (entries, points)."""
    fresh = (
        select(AWARD.c.line, ACCOUNT.c.id)
        .join(ACCOUNT, ACCOUNT.c.customer_code == AWARD.c.customer_code)
        .where(ACCOUNT.c.status == PointsAccountStatus.ACTIVE, ~exists().where(_same_key()))
    )
    rows = conn.execute(fresh).all()
    if not rows:
        return 0, 0
    found = pa.table({"line": [row[0] for row in rows], "account_id": [row[1] for row in rows]})
    found = found.sort_by("line")  # the awards' order, the keys': the key index is filled in its order
    new = published.take(found["line"])
    entries = pa.table(
        {
            "account_id": found["account_id"].cast(pa.int64()),
            "points": new["points"],
            "rule": new["rule"],
            "source": new["source"],
            "idempotency_key": award_keys(posting.month, new["customer_code"], new["rule"], new["source"]),
            "note": new["reason"],
        }
    )
    # COPY on PostgreSQL of entries built a column at a time from the awards in Arrow: only the new awards' line
    # numbers and account ids come back from the database, and the reasons are sent once. INSERT … SELECT from the
    # temporary table cost about as much to write, and loading the reasons into that table and analysing them a
    # quarter of a part more (docs/benchmarks.md § Loyalty). New keys are found
    # against the part's posted keys; the unique key still refuses one another transaction posted meanwhile:
    # the part fails whole, and a rerun of the month completes it.
    writer = writer_for(conn, binary=True)
    writer.insert(ENTRY, entries, _earn_constants(posting, writer.timestamp(posting.recorded_at)))
    writer.flush()
    return entries.num_rows, int(pc.sum(entries["points"]).as_py())


def _earn_constants(posting: _Posting, recorded_at: str) -> dict[str, Any]:
    """The columns every earn entry of the posting shares."""
    return {
        "kind": PointsEntryKind.EARN.value,
        "month": posting.month,
        "earned_on": posting.earned_on.isoformat(),
        "expires_on": posting.expires_on.isoformat(),
        "recorded_at": recorded_at,
        "recorded_by": posting.recorded_by,
    }


def _correct(
    conn: Connection, posting: _Posting, month_complete: bool, published: pa.Table
) -> tuple[int, int, int, int, int]:
    """Correct the keys whose award changed: (earned entries, earned points, keys, reversals, points taken back)."""
    changed = _find_changes(conn, month_complete)
    if not changed:
        return 0, 0, 0, 0, 0
    if conn.dialect.name == "postgresql":  # SQLite already holds its one write lock
        held = select(ACCOUNT.c.id).where(ACCOUNT.c.id.in_(select(CHANGE.c.account_id)))
        conn.execute(held.order_by(ACCOUNT.c.id).with_for_update())
    rows = _revisions(conn, posting, _reasons(published))
    if rows:
        writer = writer_for(conn)
        writer.insert(ENTRY, _entry_table(rows, writer.timestamp(posting.recorded_at)))
        writer.flush()
    earns = [row for row in rows if row["kind"] == PointsEntryKind.EARN.value]
    reversals = [row for row in rows if row["kind"] == PointsEntryKind.REVERSAL.value]
    taken = -sum(row["points"] for row in reversals)
    return len(earns), sum(row["points"] for row in earns), changed, len(reversals), taken


def _read_posted(conn: Connection, month: str, within: CodeRange) -> None:
    """Fill the posted table with the month's keys of the part's customers, their net points and entries."""
    # From the part's accounts to their entries of the month, by the (account_id, month) index: the ledger has no
    # index led by the month, so no plan reads every entry of the month for each part, whatever the statistics
    # say (a scan of the month's entries per part, planned on stale statistics, once took minutes at 1M).
    of_month = (ENTRY.c.account_id == ACCOUNT.c.id) & (ENTRY.c.month == month)
    of_month &= ENTRY.c.kind.in_([PointsEntryKind.EARN, PointsEntryKind.REVERSAL])
    key = (ENTRY.c.account_id, ACCOUNT.c.customer_code, ENTRY.c.rule, ENTRY.c.source)
    posted = (
        select(*key, func.sum(ENTRY.c.points), func.count())
        .select_from(ACCOUNT.join(ENTRY, of_month))
        .where(ACCOUNT.c.status == PointsAccountStatus.ACTIVE, *_codes_within(within))
        .group_by(*key)
    )
    conn.execute(insert(POSTED).from_select([c.name for c in POSTED.c], posted))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {POSTED.name}")  # empty on a first posting, a part's worth on a rerun


def _same_key() -> ColumnElement[bool]:
    """An award and a posted key of the same customer, rule and source."""
    return (
        (AWARD.c.customer_code == POSTED.c.customer_code)
        & (AWARD.c.rule == POSTED.c.rule)
        & (AWARD.c.source == POSTED.c.source)
    )


def _find_changes(conn: Connection, month_complete: bool) -> int:
    """Fill the change table with the posted keys whose award differs (or, month complete, is gone); how many."""
    base = select(POSTED.c.account_id, POSTED.c.customer_code, POSTED.c.rule, POSTED.c.source)
    changed = base.join(AWARD, _same_key()).add_columns(AWARD.c.points)
    queries = [changed.add_columns(POSTED.c.awarded, POSTED.c.entries).where(POSTED.c.awarded != AWARD.c.points)]
    if month_complete:
        gone = base.add_columns(literal(0), POSTED.c.awarded, POSTED.c.entries)
        queries.append(gone.where(~exists().where(_same_key()), POSTED.c.awarded != 0))
    columns = ["account_id", "customer_code", "rule", "source", "points", "awarded", "entries"]
    conn.execute(insert(CHANGE).from_select(columns, union_all(*queries)))
    return int(conn.execute(select(func.count()).select_from(CHANGE)).scalar_one())


def _codes_within(within: CodeRange) -> list[ColumnElement[bool]]:
    """Conditions on the account's customer code: within the range of a part of the month's posting."""
    first, beyond = within
    conditions = [] if first is None else [ACCOUNT.c.customer_code >= first]
    return conditions + ([] if beyond is None else [ACCOUNT.c.customer_code < beyond])


def _reasons(published: pa.Table) -> dict[tuple[str, str, str], str | None]:
    """Each award's reason by its key (customer, rule, source)."""
    keys = zip(*(published[name].to_pylist() for name in KEY_COLUMNS), strict=True)
    return dict(zip(keys, published["reason"].to_pylist(), strict=True))


def _revisions(
    conn: Connection, posting: _Posting, reasons: dict[tuple[str, str, str], str | None]
) -> list[dict[str, Any]]:
    """The entries correcting each changed key, from what remains of its lots (read under the accounts' locks)."""
    drawn = ENTRY.alias("drawn")
    lot = (CHANGE.c.account_id == ENTRY.c.account_id) & (CHANGE.c.rule == ENTRY.c.rule)
    lot &= (
        (CHANGE.c.source == ENTRY.c.source) & (ENTRY.c.month == posting.month) & (ENTRY.c.kind == PointsEntryKind.EARN)
    )
    keys = [*CHANGE.c]
    stmt = (
        select(*keys, ENTRY.c.id, ENTRY.c.points + func.coalesce(func.sum(drawn.c.points), 0))
        .outerjoin(ENTRY, lot)
        .outerjoin(drawn, drawn.c.lot_id == ENTRY.c.id)
        .group_by(*keys, ENTRY.c.id, ENTRY.c.points)
    )
    lots: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    for row in conn.execute(stmt):
        lot_id, remaining = row[-2], row[-1]
        lots[tuple(row[:-2])] += [] if lot_id is None else [(int(lot_id), int(remaining))]
    rows: list[dict[str, Any]] = []
    for change, remaining in lots.items():
        named = dict(zip([c.name for c in keys], change, strict=True))
        named["reason"] = reasons.get((named["customer_code"], named["rule"], named["source"]))
        rows += _revision_rows(posting, named, remaining)
    return rows


def _revision_rows(posting: _Posting, change: dict[str, Any], remaining: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The reversal and earn entries of one corrected key; their keys carry the revision number."""
    revision = rules.revise(int(change["awarded"]), sorted(remaining), int(change["points"]))
    key = f"{award_key(change['customer_code'], posting.month, change['rule'], change['source'])}#{change['entries']}"
    common = {"account_id": change["account_id"], "month": posting.month, "rule": change["rule"]}
    common |= {"source": change["source"], "recorded_by": posting.recorded_by}
    rows = [
        common
        | {"kind": PointsEntryKind.REVERSAL.value, "points": draw.points, "lot_id": draw.lot_id}
        | {"reverses_id": draw.lot_id, "idempotency_key": f"{key}/reverses:{draw.lot_id}", "note": CORRECTION_NOTE}
        for draw in revision.take_back
    ]
    if revision.earn:
        dates = {"earned_on": posting.earned_on.isoformat(), "expires_on": posting.expires_on.isoformat()}
        rows.append(
            common
            | dates
            | {
                "kind": PointsEntryKind.EARN.value,
                "points": revision.earn,
                "idempotency_key": key,
                "note": change["reason"],
            }
        )
    return rows


ENTRY_LOAD = pa.schema(
    [
        ("account_id", pa.int64()),
        ("kind", pa.string()),
        ("points", pa.int64()),
        ("lot_id", pa.int64()),
        ("month", pa.string()),
        ("earned_on", pa.string()),
        ("expires_on", pa.string()),
        ("rule", pa.string()),
        ("source", pa.string()),
        ("idempotency_key", pa.string()),
        ("reverses_id", pa.int64()),
        ("note", pa.string()),
        ("recorded_by", pa.string()),
    ]
)


def _entry_table(rows: list[dict[str, Any]], recorded_at: str) -> pa.Table:
    """Rows as the bulk writer wants them: dates and the moment as text, every column present."""
    table = pa.Table.from_pylist(rows, schema=ENTRY_LOAD)
    return table.append_column("recorded_at", pa.array([recorded_at] * len(rows), pa.string()))
