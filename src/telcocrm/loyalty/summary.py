"""A customer's points as staff and the customer see them: balance, spendable, next expiry, recent entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from telcocrm.customers import repository as customers
from telcocrm.errors import NotFound
from telcocrm.loyalty import ledger
from telcocrm.loyalty.ledger import EntryRecord

RECENT_ENTRIES = 20


@dataclass(frozen=True)
class PointsSummary:
    """What the 360 page and the counter show of a customer's points."""

    customer_code: str
    has_account: bool
    balance: int
    spendable: int
    next_expiry_date: date | None
    next_expiry_points: int
    recent: list[EntryRecord]


def points_summary(
    *, db: Session, customer_code: str, recent: int = RECENT_ENTRIES, on: date | None = None
) -> PointsSummary:
    """The customer's points (all zero without a points account); a merged-away code answers for its survivor."""
    code = customers.get_by_code(db, customer_code).code
    return survivor_points(db=db, customer_code=code, recent=recent, on=on)


def survivor_points(
    *, db: Session, customer_code: str, recent: int = RECENT_ENTRIES, on: date | None = None
) -> PointsSummary:
    """The points of a code already followed to its survivor (the counter's lookup did): one read, two with entries."""
    day = on or ledger.today()
    try:
        _, lots = ledger.account_and_lots(db, customer_code=customer_code)
    except NotFound:
        return PointsSummary(customer_code, False, 0, 0, None, 0, [])
    live = [lot for lot in lots if lot.remaining > 0 and lot.expires_on >= day]  # nearest expiry first
    next_date = live[0].expires_on if live else None
    return PointsSummary(
        customer_code=customer_code,
        has_account=True,
        balance=sum(lot.remaining for lot in lots),  # every entry is a lot or draws on one: the sum of entries
        spendable=sum(lot.remaining for lot in live),
        next_expiry_date=next_date,
        next_expiry_points=sum(lot.remaining for lot in live if lot.expires_on == next_date),
        recent=ledger.entries_of(db, customer_code=customer_code)[-recent:][::-1] if recent > 0 else [],
    )
