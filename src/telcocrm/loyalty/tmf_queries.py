"""The read model of TMF658: members with their customer's name, lots of a page of accounts, ledger events.

A few Core statements per request whatever an account holds: a page of members is one count and one select,
their balances one more (the balance is the sum of what remains of the lots, as every other entry names a lot).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select, true

from telcocrm.db.base import Base
from telcocrm.errors import NotFound
from telcocrm.loyalty.ledger_repository import ACCOUNT, ENTRY, AccountRecord, EntryRecord
from telcocrm.loyalty.ledger_rules import Lot
from telcocrm.models import Customer
from telcocrm.models.enums import PointsAccountStatus, PointsEntryKind

CUSTOMER = Base.metadata.tables[Customer.__tablename__]


@dataclass(frozen=True)
class Member:
    """A points account and the name of its customer (None if the code is unknown to the customer table)."""

    account: AccountRecord
    name: str | None


@dataclass(frozen=True)
class Event:
    """A ledger entry and the customer code of its account."""

    entry: EntryRecord
    customer_code: str


def _members() -> Select[Any]:
    return select(*ACCOUNT.c, CUSTOMER.c.name).outerjoin(CUSTOMER, CUSTOMER.c.code == ACCOUNT.c.customer_code)


def _member(row: Any) -> Member:
    values = dict(row._mapping)
    name = values.pop("name")
    return Member(AccountRecord(**values), name)


def member_page(
    conn: Connection, *, offset: int, limit: int, status: PointsAccountStatus | None = None
) -> tuple[list[Member], int]:
    """A page of members in the order they were opened, and how many there are."""
    where = ACCOUNT.c.status == status if status is not None else true()
    total = conn.execute(select(func.count()).select_from(ACCOUNT).where(where)).scalar_one()
    rows = conn.execute(_members().where(where).order_by(ACCOUNT.c.id).offset(offset).limit(limit))
    return [_member(row) for row in rows], int(total)


def member(conn: Connection, code: str, *, field: str = "id") -> Member:
    """The member with this customer code; NotFound names the attribute the code came in."""
    row = conn.execute(_members().where(ACCOUNT.c.customer_code == code)).one_or_none()
    if row is None:
        raise NotFound(
            f"积分会员 {code} 不存在 / no loyalty programme member {code} (no points account)", field=field, record=code
        )
    return _member(row)


def lots_by_account(conn: Connection, account_ids: Sequence[int]) -> dict[int, list[Lot]]:
    """Every lot of the accounts with what remains of it, in one statement."""
    if not account_ids:
        return {}
    drawn = ENTRY.alias("drawn")
    left = ENTRY.c.points + func.coalesce(func.sum(drawn.c.points), 0)
    stmt = (
        select(ENTRY.c.account_id, ENTRY.c.id, ENTRY.c.earned_on, ENTRY.c.expires_on, left)
        .outerjoin(drawn, drawn.c.lot_id == ENTRY.c.id)
        .where(ENTRY.c.account_id.in_(sorted(set(account_ids))), ENTRY.c.lot_id.is_(None))
        .group_by(ENTRY.c.account_id, ENTRY.c.id, ENTRY.c.earned_on, ENTRY.c.expires_on, ENTRY.c.points)
    )
    found: dict[int, list[Lot]] = defaultdict(list)
    for account_id, lot_id, earned, expires, remaining in conn.execute(stmt):
        found[int(account_id)].append(Lot(int(lot_id), earned, expires, int(remaining)))
    return found


def _events() -> Select[Any]:
    return select(*ENTRY.c, ACCOUNT.c.customer_code).join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)


def _event(row: Any) -> Event:
    values = dict(row._mapping)
    code = values.pop("customer_code")
    return Event(EntryRecord(**values), code)


def event_page(
    conn: Connection,
    *,
    offset: int,
    limit: int,
    customer_code: str | None = None,
    kind: PointsEntryKind | None = None,
    reference: str | None = None,
) -> tuple[list[Event], int]:
    """A page of ledger entries in the order recorded, filtered by member, kind and business reference."""
    where: list[ColumnElement[bool]] = []
    if customer_code is not None:
        where.append(ACCOUNT.c.customer_code == customer_code)
    if kind is not None:
        where.append(ENTRY.c.kind == kind)
    if reference is not None:
        where.append(ENTRY.c.reference == reference)
    counted = select(func.count()).select_from(ENTRY)
    if customer_code is not None:
        counted = counted.join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)
    total = conn.execute(counted.where(*where)).scalar_one()
    rows = conn.execute(_events().where(*where).order_by(ENTRY.c.id).offset(offset).limit(limit))
    return [_event(row) for row in rows], int(total)


def event(conn: Connection, event_id: str) -> Event:
    """One ledger entry by its id; NotFound names `id`."""
    row = None
    if event_id.isdigit() and len(event_id) <= 18:
        row = conn.execute(_events().where(ENTRY.c.id == int(event_id))).one_or_none()
    if row is None:
        raise NotFound(f"积分事件 {event_id} 不存在 / loyalty event {event_id} not found", field="id", record=event_id)
    return _event(row)


def events_of_operation(conn: Connection, key: str) -> list[Event]:
    """The entries one operation wrote (its key, then the key and `/n`), with their customer code."""
    same = (ENTRY.c.idempotency_key == key) | ENTRY.c.idempotency_key.startswith(f"{key}/", autoescape=True)
    return [_event(row) for row in conn.execute(_events().where(same).order_by(ENTRY.c.id))]
