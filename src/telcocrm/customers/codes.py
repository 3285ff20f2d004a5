"""Hands out serial numbers for codes from `code_counter`: a number once handed out is never reused."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from telcocrm.customers.rules import customer_code
from telcocrm.models import CodeCounter

CUSTOMER = "customer"
ACCOUNT = "account"
SUBSCRIBER = "subscriber"


def reserve_serials(db: Session, counter: str, count: int) -> range:
    """Reserve `count` consecutive serials; the row lock serialises concurrent reservations."""
    if count <= 0:
        return range(0)
    stmt = (
        update(CodeCounter)
        .where(CodeCounter.name == counter)
        .values(next_value=CodeCounter.next_value + count)
        .returning(CodeCounter.next_value)
    )
    end = db.execute(stmt).scalar_one()
    return range(end - count, end)


def ensure_serial_above(db: Session, counter: str, serial: int) -> None:
    """Move the counter past a serial that arrived from outside (an imported code), so it is never reissued."""
    current = db.execute(select(CodeCounter.next_value).where(CodeCounter.name == counter)).scalar_one()
    if serial >= current:
        db.execute(update(CodeCounter).where(CodeCounter.name == counter).values(next_value=serial + 1))


def new_customer_codes(db: Session, count: int) -> list[str]:
    """`count` fresh customer codes."""
    return [customer_code(serial) for serial in reserve_serials(db, CUSTOMER, count)]


def new_account_codes(db: Session, count: int) -> list[str]:
    """`count` fresh billing-account codes (`A` and 11 digits)."""
    return [f"A{serial:011d}" for serial in reserve_serials(db, ACCOUNT, count)]


def new_subscriber_codes(db: Session, count: int) -> list[str]:
    """`count` fresh subscriber ids (`S` and 11 digits), for lines opened here rather than imported."""
    return [f"S{serial:011d}" for serial in reserve_serials(db, SUBSCRIBER, count)]
