"""The demo's loyalty: the rewards catalogue loaded and member cards for the most valuable customers."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from telcocrm.customers.records import latest_month
from telcocrm.errors import TelcoError
from telcocrm.models import Customer, PointsAccount, PointsEntry, SegmentHistory
from telcocrm.models.enums import CardHolder, CardKind, CustomerKind, CustomerStatus

Say = Callable[[str], None]
DEMO_CARDS = 40  # customers of the highest value get a card, so the 360 page and the counter have some to show
JOB = "demo"


def prepare_demo_loyalty(database: Engine, *, say: Say) -> None:
    """Load the catalogue, issue cards to the most valuable customers, and tell what the ledger holds."""
    from telcocrm.db.engine import session_scope
    from telcocrm.loyalty.cards import issue_card
    from telcocrm.loyalty.rewards import sync_catalogue
    from telcocrm.staff.rules import system_viewer

    viewer = system_viewer(JOB)
    with session_scope(database) as db:
        rewards = sync_catalogue(db=db, viewer=viewer)
        issued = 0
        for code, kind in _most_valuable(db):
            card = CardKind.SHANGWU_LINGHANG if kind == CustomerKind.ORGANISATION else CardKind.WODE_EJIA
            holder = CardHolder.COMPANY if kind == CustomerKind.ORGANISATION else CardHolder.PERSONAL
            try:
                with db.begin_nested():
                    issue_card(db=db, viewer=viewer, customer_code=code, kind=card, holder=holder)
                issued += 1
            except TelcoError:
                continue  # below every card level after all: no card
        accounts = db.execute(select(func.count()).select_from(PointsAccount)).scalar_one()
        points = db.execute(select(func.coalesce(func.sum(PointsEntry.points), 0))).scalar_one()
    say(f"loyalty: {len(rewards)} rewards in the catalogue, {issued} member cards issued, "
        f"{accounts:,} points accounts holding {points:,} points")  # fmt: skip


def _most_valuable(db: Session) -> list[tuple[str, CustomerKind]]:
    """Active customers with a high value tier or a star tier of 5 or VIP, in code order."""
    customer, history = Customer.__table__, SegmentHistory.__table__
    query = (
        select(customer.c.code, customer.c.kind)
        .select_from(customer.join(history, latest_month(history, "customer_code", customer.c.code)))
        .where(customer.c.status == CustomerStatus.ACTIVE)
        .where((history.c.value_tier == "high") | history.c.star_tier.in_(("5", "vip")))
        .order_by(customer.c.code)
        .limit(DEMO_CARDS)
    )
    return [(code, CustomerKind(kind)) for code, kind in db.execute(query)]
