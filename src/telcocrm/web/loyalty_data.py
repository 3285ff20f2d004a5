"""What the loyalty pages read: a customer's points and cards, the ledger month by month, liability by segment.

The monthly figures are read from the points month summary (loyalty/month_summary.py), kept as entries are
written; everything else goes through the loyalty services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.customers import repository as customers
from telcocrm.kit.months import add_months, month_of
from telcocrm.loyalty import cards, month_summary, summary
from telcocrm.loyalty.present import card_read, entry_read
from telcocrm.loyalty.schemas import CardRead, EntryRead
from telcocrm.loyalty.summary import PointsSummary
from telcocrm.models import MemberCard
from telcocrm.models.enums import PointsEntryKind
from telcocrm.staff.rules import Viewer

RECENT_ENTRIES = 10
LIABILITY_FILE = "points_liability"
_SEPARATORS = re.compile(r"[\s-]")
_LONGEST_CUSTOMER_CODE = 12  # more digits than a customer code has: the clerk typed or swiped a card


@dataclass(frozen=True)
class PointsCard:
    """The 360 page's points block: the summary, the customer's member cards, and whether to offer redeeming."""

    points: PointsSummary
    entries: list[EntryRead]  # the newest first, times in the operator's zone
    cards: list[CardRead]
    may_redeem: bool


@dataclass(frozen=True)
class Member:
    """Whom the counter is serving: the customer (a survivor after a merge) and the card shown, if any."""

    customer_code: str
    customer_name: str
    card: MemberCard | None


@dataclass(frozen=True)
class MonthFigures:
    """The ledger of one month (awards by the month earned for, the rest by the month recorded): in, out, owed."""

    month: str
    issued: int  # earned, less awards corrected away
    spent: int  # redeemed, less cancelled redemptions
    expired: int
    adjusted: int  # staff corrections, net
    outstanding: int  # the balance of every account at the month's end
    unit_cost_fen: int

    @property
    def accrued_fen(self) -> int:
        """The reward cost of the points issued in the month."""
        return self.issued * self.unit_cost_fen

    @property
    def outstanding_fen(self) -> int:
        """The reward cost of all points held at the month's end (the liability)."""
        return self.outstanding * self.unit_cost_fen


@dataclass(frozen=True)
class SegmentLiability:
    """The monthly run's published points and their cost per segment and value tier (points_liability.parquet)."""

    month: str
    rows: list[dict[str, Any]]


def points_card(db: Session, viewer: Viewer, customer_code: str) -> PointsCard | None:
    """The points block of the 360 page; None for a viewer without loyalty:read or a customer with nothing."""
    if not viewer.may("loyalty:read"):
        return None
    found = summary.points_summary(db=db, customer_code=customer_code, recent=RECENT_ENTRIES)
    held = cards.cards_of(db=db, customer_code=found.customer_code)
    if not found.has_account and not held:
        return None
    entries = [entry_read(entry) for entry in found.recent]
    return PointsCard(found, entries, [card_read(card) for card in held], viewer.may("loyalty:redeem"))


def find_member(db: Session, query: str) -> Member:
    """The customer a card number (check digit verified before any lookup) or a customer code names."""
    typed = query.strip()
    compact = _SEPARATORS.sub("", typed)
    if compact.isdigit() and len(compact) > _LONGEST_CUSTOMER_CODE:
        identity = cards.identify(db=db, card_number=compact)
        customer = customers.get_by_code(db, identity.customer_code)
        return Member(customer.code, customer.name, identity.card)
    customer = customers.get_by_code(db, typed)
    return Member(customer.code, customer.name, None)


def ledger_by_month(db: Session, *, zone: ZoneInfo, unit_cost_fen: int, now: datetime) -> list[MonthFigures]:
    """Every month from the first entry to this one, from the month summary; a reversal counts as what it undoes."""
    return figures_by_month(
        month_summary.monthly_sums(db.connection()),
        current=month_of(now.astimezone(zone).date()),
        unit_cost_fen=unit_cost_fen,
    )


def figures_by_month(sums: month_summary.Sums, *, current: str, unit_cost_fen: int) -> list[MonthFigures]:
    """The page's rows from points by month and kind: every month from the first to the current one."""
    if not sums:
        return []
    months = [min(sums)]
    while months[-1] < max(current, max(sums)):
        months.append(add_months(months[-1], 1))
    figures, outstanding = [], 0
    for month in months:
        by_kind = sums.get(month, {})
        outstanding += sum(by_kind.values())
        figures.append(
            MonthFigures(
                month=month,
                issued=by_kind.get(PointsEntryKind.EARN, 0),
                spent=-by_kind.get(PointsEntryKind.SPEND, 0),
                expired=-by_kind.get(PointsEntryKind.EXPIRY, 0),
                adjusted=by_kind.get(PointsEntryKind.ADJUSTMENT, 0),
                outstanding=outstanding,
                unit_cost_fen=unit_cost_fen,
            )
        )
    return figures


def segment_liability(store: AnalyticsStore) -> SegmentLiability | None:
    """The latest month's liability per branch, segment and value tier from the monthly run, if a run wrote one."""
    for month in reversed(store.months("results")):
        path = store.result_path(month, LIABILITY_FILE)
        if path.is_file():
            rows = pq.read_table(path).to_pylist()
            rows.sort(key=lambda row: tuple(str(row[key] or "") for key in ("city", "segment", "value_tier")))
            return SegmentLiability(month, rows)
    return None
