"""Queries of billing accounts for TMF666: an account with its owner, parent and children in two statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session, aliased

from telcocrm.errors import NotFound
from telcocrm.models import BillingAccount, Customer, Subscriber
from telcocrm.models.enums import AccountStatus, AccountType, CustomerKind


@dataclass(frozen=True)
class AccountLink:
    """The other end of a parent/child account relationship."""

    code: str
    name: str
    since: datetime


@dataclass
class AccountRecord:
    """A billing account with what TMF666 shows around it."""

    account: BillingAccount
    owner_code: str
    owner_name: str
    owner_kind: CustomerKind
    parent: AccountLink | None
    subscriber_count: int
    children: list[AccountLink] = field(default_factory=list)


def _query(where: ColumnElement[bool]) -> Select[Any]:
    """Accounts with their owner, parent and number of subscribers, in one statement."""
    parent = aliased(BillingAccount)
    subscribers = (
        select(func.count(Subscriber.id))
        .where(Subscriber.account_id == BillingAccount.id)
        .correlate(BillingAccount)
        .scalar_subquery()
    )
    return (
        select(
            BillingAccount, Customer.code, Customer.name, Customer.kind, parent.account_code, parent.name, subscribers
        )
        .join(Customer, Customer.id == BillingAccount.customer_id)
        .outerjoin(parent, parent.id == BillingAccount.parent_account_id)
        .where(where)
    )


def _records(db: Session, rows: list[Any]) -> list[AccountRecord]:
    """Records from the joined rows, with their children (one more statement)."""
    records = [
        AccountRecord(
            account=account,
            owner_code=owner_code,
            owner_name=owner_name,
            owner_kind=CustomerKind(owner_kind),
            parent=AccountLink(parent_code, parent_name, account.created_at) if parent_code else None,
            subscriber_count=int(count or 0),
        )
        for account, owner_code, owner_name, owner_kind, parent_code, parent_name, count in rows
    ]
    by_id = {r.account.id: r for r in records}
    if by_id:
        stmt = (
            select(
                BillingAccount.parent_account_id,
                BillingAccount.account_code,
                BillingAccount.name,
                BillingAccount.created_at,
            )
            .where(BillingAccount.parent_account_id.in_(by_id))
            .order_by(BillingAccount.id)
        )
        for parent_id, code, name, created_at in db.execute(stmt).all():
            if parent_id is not None:
                by_id[parent_id].children.append(AccountLink(code, name, created_at))
    return records


def get_account(db: Session, code: str) -> AccountRecord:
    """The billing account with this code, or NotFound."""
    rows = db.execute(_query(BillingAccount.account_code == code)).all()
    if not rows:
        raise NotFound(f"账户 {code} 不存在 / account {code} not found", field="id", record=code)
    return _records(db, list(rows))[0]


def list_accounts(
    db: Session,
    *,
    offset: int,
    limit: int,
    customer_id: int | None = None,
    state: AccountStatus | None = None,
    account_type: AccountType | None = None,
) -> tuple[list[AccountRecord], int]:
    """A page of accounts, optionally of one customer, state or type, and the total."""
    where: ColumnElement[bool] = true()
    if customer_id is not None:
        where = where & (BillingAccount.customer_id == customer_id)
    if state is not None:
        where = where & (BillingAccount.status == state)
    if account_type is not None:
        where = where & (BillingAccount.account_type == account_type)
    total = db.execute(select(func.count(BillingAccount.id)).where(where)).scalar_one()
    rows = db.execute(_query(where).order_by(BillingAccount.id).offset(offset).limit(limit)).all()
    return _records(db, list(rows)), total
