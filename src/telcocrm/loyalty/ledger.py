"""The points ledger: open accounts, spend nearest-expiry first, adjust, reverse and expire (the caller commits).

Every operation that takes points holds the account (ledger_repository.lock_for_writing) from before it reads
what remains of the lots until the caller commits, so two spends at once can never overdraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import Session

from telcocrm.config import get_settings
from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, NotFound
from telcocrm.kit.months import month_of
from telcocrm.loyalty import ledger_repository as repo
from telcocrm.loyalty import ledger_rules as rules
from telcocrm.loyalty import month_summary
from telcocrm.loyalty.ledger_awards import PostingSummary, post_awards
from telcocrm.loyalty.ledger_repository import ENTRY, AccountRecord, EntryRecord
from telcocrm.models.enums import PointsAccountStatus, PointsEntryKind

__all__ = [
    "AccountRecord",
    "EntryRecord",
    "PostingSummary",
    "account_and_lots",
    "adjust",
    "balance_of",
    "entries_of",
    "expire_points",
    "get_account",
    "lots_of",
    "open_account",
    "open_new_account",
    "post_awards",
    "reverse",
    "set_account_flags",
    "spend",
    "spendable_points",
]

Db = Session | Connection


def today() -> date:
    """The operator's calendar day (a lot stays spendable through its expiry day, in the operator's zone)."""
    return datetime.now(get_settings().zone).date()


def open_account(
    db: Db, *, customer_code: str, opted_in: bool = False, points_sensitive: bool = False
) -> AccountRecord:
    """The customer's points account, opened now if it has none (opening twice opens once)."""
    open_new_account(db, customer_code=customer_code, opted_in=opted_in, points_sensitive=points_sensitive)
    return repo.account_row(repo.connection_of(db), customer_code)


def open_new_account(db: Db, *, customer_code: str, opted_in: bool = False, points_sensitive: bool = False) -> bool:
    """Open the customer's account if it has none; whether this call opened it (of two at once, exactly one)."""
    values = {"customer_code": customer_code, "opted_in": opted_in, "points_sensitive": points_sensitive}
    values |= {"status": PointsAccountStatus.ACTIVE, "opened_at": utc_now()}
    return repo.insert_account(repo.connection_of(db), values)


def get_account(db: Db, *, customer_code: str) -> AccountRecord:
    """The customer's points account; NotFound if none was opened."""
    return repo.account_row(repo.connection_of(db), customer_code)


def set_account_flags(
    db: Db,
    *,
    customer_code: str,
    opted_in: bool | None = None,
    points_sensitive: bool | None = None,
    status: PointsAccountStatus | None = None,
) -> AccountRecord:
    """Staff set 积分定制 (opted in), points-sensitive, or close/reopen the account; None leaves a flag as it is."""
    conn = repo.connection_of(db)
    account = repo.account_row(conn, customer_code)
    wanted = {"opted_in": opted_in, "points_sensitive": points_sensitive, "status": status}
    changes = {name: value for name, value in wanted.items() if value is not None}
    if changes:
        repo.update_account(conn, account.id, changes)
    return repo.account_row(conn, customer_code)


def balance_of(db: Db, *, customer_code: str) -> int:
    """The customer's points balance: the sum of the account's entries."""
    conn = repo.connection_of(db)
    return repo.balance(conn, repo.account_row(conn, customer_code).id)


def lots_of(db: Db, *, customer_code: str) -> list[rules.Lot]:
    """The customer's lots with what remains of each, nearest expiry first (the 360 page's "next expiry")."""
    return account_and_lots(db, customer_code=customer_code)[1]


def account_and_lots(db: Db, *, customer_code: str) -> tuple[AccountRecord, list[rules.Lot]]:
    """The customer's account and lots, nearest expiry first, in one read; their remains sum to the balance."""
    account, lots = repo.account_with_lots(repo.connection_of(db), customer_code)
    return account, rules.nearest_expiry_first(lots)


def spendable_points(db: Db, *, customer_code: str, on: date | None = None) -> int:
    """Points the customer can spend on a day: the balance less lots past expiry that no run expired yet."""
    return rules.spendable(lots_of(db, customer_code=customer_code), on or today())


def entries_of(db: Db, *, customer_code: str) -> list[EntryRecord]:
    """The customer's ledger, oldest first."""
    conn = repo.connection_of(db)
    return repo.entries(conn, ENTRY.c.account_id == repo.account_row(conn, customer_code).id)


def spend(
    db: Db,
    *,
    customer_code: str,
    points: int,
    reference: str,
    idempotency_key: str,
    recorded_by: str,
    on: date | None = None,
) -> list[EntryRecord]:
    """Take points nearest-expiry first, one spend entry per lot drawn; the same key twice spends once."""
    return _draw(
        db, PointsEntryKind.SPEND, customer_code, points, idempotency_key, recorded_by, on, reference=reference
    )


def adjust(
    db: Db,
    *,
    customer_code: str,
    points: int,
    note: str,
    idempotency_key: str,
    recorded_by: str,
    expiry_years: int,
    on: date | None = None,
) -> list[EntryRecord]:
    """A staff correction: + opens a lot earned today (expiring like an award), − draws like a spend."""
    if not note.strip():
        raise InvalidInput("调整须注明原因 / an adjustment needs a note", field="note", record=customer_code)
    if points < 0:
        return _draw(
            db, PointsEntryKind.ADJUSTMENT, customer_code, -points, idempotency_key, recorded_by, on, note=note
        )
    _check_positive(points, customer_code)
    conn = repo.connection_of(db)
    account = _writable(conn, customer_code)
    replay = repo.operation(conn, idempotency_key)
    if replay:
        return _same_operation(replay, account, points, idempotency_key)
    day = on or today()
    lot = {"earned_on": day, "expires_on": rules.lot_expiry(month_of(day), expiry_years), "note": note}
    row = _row(account.id, PointsEntryKind.ADJUSTMENT, points, idempotency_key, recorded_by) | lot
    return _written(conn, [row])


def _draw(
    db: Db,
    kind: PointsEntryKind,
    customer_code: str,
    points: int,
    key: str,
    recorded_by: str,
    on: date | None,
    **extra: Any,
) -> list[EntryRecord]:
    """Draw points from the lots of a held account: refused when short, replayed when the key was used."""
    _check_positive(points, customer_code)
    conn = repo.connection_of(db)
    account = _writable(conn, customer_code)
    replay = repo.operation(conn, key)
    if replay:
        return _same_operation(replay, account, -points, key)
    lots = repo.lots(conn, account.id)
    day = on or today()
    available = rules.spendable(lots, day)
    if available < points:
        raise Conflict(
            f"客户 {customer_code} 可用积分 {available}，不足 {points} / customer {customer_code} has {available} "
            f"spendable points, {points} wanted",
            field="points",
            record=customer_code,
        )
    draws = rules.allocate(lots, points, day)
    keys = [key, *(f"{key}/{n}" for n in range(2, len(draws) + 1))]
    rows = [
        _row(account.id, kind, draw.points, k, recorded_by) | {"lot_id": draw.lot_id} | extra
        for draw, k in zip(draws, keys, strict=True)
    ]
    return _written(conn, rows)


def reverse(
    db: Db, *, recorded_by: str, entry_id: int | None = None, reference: str | None = None, note: str | None = None
) -> list[EntryRecord]:
    """Undo an entry, or every draw of a reference (a cancelled redemption); reversing twice reverses once.

    A draw gets back exactly what it took, to the same lot. A lot (earn, adjustment +) loses only what remains
    of it: points already spent or expired stay so.
    """
    conn = repo.connection_of(db)
    targets = _reversal_targets(conn, entry_id, reference)
    repo.lock_for_writing(conn, [entry.account_id for entry in targets])
    written: list[EntryRecord] = []
    for entry in targets:
        key = f"reversal:{entry.id}"
        done = repo.entry_by_key(conn, key)
        if done is not None:
            written.append(done)
            continue
        draw = _reversal_draw(conn, entry)
        if draw is not None:
            row = _row(entry.account_id, PointsEntryKind.REVERSAL, draw.points, key, recorded_by)
            row |= {"lot_id": draw.lot_id, "reverses_id": entry.id, "reference": entry.reference, "note": note}
            written += _written(conn, [row], counts_as=entry.kind)
    return written


def _reversal_targets(conn: Connection, entry_id: int | None, reference: str | None) -> list[EntryRecord]:
    """The entries to undo: the one named, or the draws of a reference."""
    if (entry_id is None) == (reference is None):
        raise InvalidInput("须指定条目或业务单号之一 / give an entry or a reference", field="entry_id")
    if entry_id is not None:
        found = repo.entries(conn, ENTRY.c.id == entry_id)
        if not found:
            raise NotFound(
                f"积分条目 {entry_id} 不存在 / points entry {entry_id} not found",
                field="entry_id",
                record=str(entry_id),
            )
    else:
        draws = and_(
            ENTRY.c.reference == reference, ENTRY.c.kind.in_([PointsEntryKind.SPEND, PointsEntryKind.ADJUSTMENT])
        )
        found = repo.entries(conn, draws)
        if not found:
            raise NotFound(
                f"业务单号 {reference} 没有积分支出 / no points spent under {reference}",
                field="reference",
                record=reference,
            )
    for entry in found:
        if entry.kind in (PointsEntryKind.EXPIRY, PointsEntryKind.REVERSAL):
            raise InvalidInput(
                f"{entry.kind.value} 条目 {entry.id} 不可冲正 / a {entry.kind.value} entry cannot be reversed",
                field="kind",
                record=str(entry.id),
            )
    return found


def _reversal_draw(conn: Connection, entry: EntryRecord) -> rules.Draw | None:
    """What reversing one entry writes (read under the account's lock)."""
    if entry.lot_id is not None:
        return rules.give_back([rules.Draw(entry.lot_id, entry.points)])[0]
    return rules.take_back_lot(entry.id, repo.remaining_of(conn, entry.id))


def expire_points(db: Db, *, as_of: date, recorded_by: str) -> int:
    """Write an expiry entry for what remains of every lot whose expiry day is before `as_of`; returns how many.

    Running it again writes nothing more: an expired lot has nothing left (unless a cancelled redemption gave
    points back to it since, and then those expire).
    """
    conn = repo.connection_of(db)
    repo.begin_immediate(conn)
    due = _lots_due(conn, as_of)
    repo.lock_for_writing(conn, sorted({account_id for account_id, _, _ in due}))
    due = _lots_due(conn, as_of)  # again under the locks: a spend may have drawn meanwhile
    rows = [
        _row(account_id, PointsEntryKind.EXPIRY, draw.points, f"expiry:{draw.lot_id}:{draws}", recorded_by)
        | {"lot_id": draw.lot_id}
        for account_id, draw, draws in due
    ]
    if rows:
        conn.execute(ENTRY.insert(), rows)
        month_summary.add(conn, [(month_summary.local_month(r["recorded_at"]), r["kind"], r["points"]) for r in rows])
    month_summary.fold(conn)  # a daily job: keeps the summary at about one row per month and kind
    return len(rows)


def _lots_due(conn: Connection, as_of: date) -> list[tuple[int, rules.Draw, int]]:
    """(account, expiry draw, entries on the lot so far) of every lot past expiry with points left."""
    drawn = ENTRY.alias("drawn")
    left = ENTRY.c.points + func.coalesce(func.sum(drawn.c.points), 0)
    stmt = (
        select(ENTRY.c.account_id, ENTRY.c.id, ENTRY.c.earned_on, ENTRY.c.expires_on, left, func.count(drawn.c.id))
        .outerjoin(drawn, drawn.c.lot_id == ENTRY.c.id)
        .where(ENTRY.c.lot_id.is_(None), ENTRY.c.expires_on < as_of)
        .group_by(ENTRY.c.account_id, ENTRY.c.id, ENTRY.c.earned_on, ENTRY.c.expires_on, ENTRY.c.points)
        .having(left > 0)
    )
    due = []
    for account_id, lot_id, earned_on, expires_on, remaining, count in conn.execute(stmt):
        lot = rules.Lot(int(lot_id), earned_on, expires_on, int(remaining))
        due += [(int(account_id), draw, int(count)) for draw in rules.expiry_draws([lot], as_of)]
    return due


def _written(
    conn: Connection, rows: list[dict[str, Any]], counts_as: PointsEntryKind | None = None
) -> list[EntryRecord]:
    """Append entries and, in the same transaction, their part of the month summary."""
    written = repo.add_entries(conn, rows)
    month_summary.add_entries(conn, written, counts_as)
    return written


def _writable(conn: Connection, customer_code: str) -> AccountRecord:
    """The customer's account, held until commit; a closed one takes no entries."""
    account = repo.account_row(conn, customer_code, for_update=True)
    if account.status is not PointsAccountStatus.ACTIVE:
        raise Conflict(
            f"客户 {customer_code} 的积分账户已关闭 / the points account of {customer_code} is closed",
            field="status",
            record=customer_code,
        )
    return account


def _check_positive(points: int, customer_code: str) -> None:
    if points <= 0:
        raise InvalidInput(
            f"积分须为正整数 / points must be a positive whole number, got {points}",
            field="points",
            record=customer_code,
        )


def _same_operation(replay: Sequence[EntryRecord], account: AccountRecord, points: int, key: str) -> list[EntryRecord]:
    """A replay returns what the first call wrote; a different request under the same key is refused."""
    if replay[0].account_id != account.id or sum(entry.points for entry in replay) != points:
        raise Conflict(
            f"幂等键 {key} 已用于另一笔操作 / idempotency key {key} was used for another operation",
            field="idempotency_key",
            record=key,
        )
    return list(replay)


def _row(account_id: int, kind: PointsEntryKind, points: int, key: str, recorded_by: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "kind": kind,
        "points": points,
        "idempotency_key": key,
        "recorded_at": utc_now(),
        "recorded_by": recorded_by,
    }
