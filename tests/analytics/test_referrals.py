"""The referral bonus: the referrer earns once per referred line, in the month the line's first bill is paid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.points import points_awards
from telcocrm.analytics.marts.referrals import referrals_due
from telcocrm.kit.months import add_months, month_start
from telcocrm.loyalty.config import Campaign, LoyaltyRules
from tests.analytics.conftest import build_table, rows
from tests.analytics.inputs import month_inputs
from tests.analytics.test_points import RULES, customer, segment

REFERRAL = Campaign(
    code="referral_2026",
    rule="points.bonus.referral",
    points=500,
    condition="referral",
    valid_from="2026-01",
    valid_to="2026-12",
)
LOYALTY = LoyaltyRules(**{**dict(RULES), "campaigns": (REFERRAL,)})
SOURCE = "campaign:referral_2026:N1"
MONTHS = ("2026-04", "2026-05", "2026-06")


def bill(
    month: str, paid_date: date | None, *, line: str = "N1", billed: int = 5_000, paid: int = 5_000
) -> dict[str, Any]:
    """The line's bill of the month (due the 20th of the next), paid `paid` fen on `paid_date` (None: unpaid)."""
    amounts = {"billed_fen": billed, "paid_fen": paid if paid_date else 0, "paid_date": paid_date}
    return {"subscriber_id": line, "month": month, "due_date": month_start(add_months(month, 1)), **amounts}


def referral(month: str, on: date, *, referrer: str = "C1", line: str = "N1") -> dict[str, Any]:
    return {"referrer_customer_code": referrer, "referred_subscriber_id": line, "referral_date": on, "month": month}


@dataclass
class Operator:
    """Referrer C1 (line S1, in network); C9's new lines (N1 activated 2026-04-10); run any month of 2026."""

    bills: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    referrers: list[dict[str, Any]] = field(default_factory=lambda: [customer("C1"), customer("C9")])
    new_lines: dict[str, date] = field(default_factory=lambda: {"N1": date(2026, 4, 10)})
    rules: LoyaltyRules = LOYALTY

    def due(self, con: Any, month: str) -> Any:
        """The referred lines whose referral pays in the month (only what the month's window holds)."""
        inputs = month_inputs(
            con,
            month,
            base=[{"subscriber_id": "S1", "customer_code": "C1"}]
            + [{"subscriber_id": n, "customer_code": "C9", "activated_date": on} for n, on in self.new_lines.items()],
            bills=[b for b in self.bills if b["month"] <= month],
            referrals=[r for r in self.referrals if r["month"] <= month],
        )
        return referrals_due(inputs)

    def awards(self, con: Any, month: str) -> list[dict[str, Any]]:
        """The month's referral awards, as the monthly run computes them."""
        codes = [c["customer_code"] for c in self.referrers]
        customers = build_table(con, schemas.CUSTOMER_FEATURES, [{**c, "month": month} for c in self.referrers])
        points = build_table(con, schemas.SUBSCRIBER_POINTS, [])
        credit = build_table(con, schemas.CREDIT, [{"customer_code": c, "credit_rating": "C"} for c in codes])
        segments = build_table(con, schemas.SEGMENTS, [segment(c) for c in codes])
        members = build_table(con, schemas.POINTS_MEMBERS, [])
        due = self.due(con, month)
        awards = points_awards(points, customers, credit, segments, members, self.rules, month=month, referrals=due)
        assert awards.schema() == ibis.schema(schemas.POINTS_AWARDS)
        return [r for r in rows(awards, "customer_code", "source") if r["rule"] == REFERRAL.rule]

    def by_month(self, con: Any) -> dict[str, list[tuple[str, str]]]:
        """Every month's due referrals as (referrer, line); months without any left out."""
        found = {m: rows(self.due(con, m), "subscriber_id") for m in MONTHS}
        return {m: [(r["customer_code"], r["subscriber_id"]) for r in due] for m, due in found.items() if due}

    def award_rows(self, con: Any, month: str) -> list[tuple[str, str, int]]:
        """The month's referral awards as (customer, source, points)."""
        return [(a["customer_code"], a["source"], a["points"]) for a in self.awards(con, month)]


def test_a_paid_first_bill_pays_the_referrer_once_in_the_month_of_payment(con: Any) -> None:
    operator = Operator(
        bills=[bill("2026-04", date(2026, 5, 18)), bill("2026-05", date(2026, 6, 10))],
        referrals=[referral("2026-04", date(2026, 4, 10))],
    )
    assert operator.by_month(con) == {"2026-05": [("C1", "N1")]}  # referred in April, first bill paid in May
    (award,) = operator.awards(con, "2026-05")
    assert (award["customer_code"], award["source"], award["points"]) == ("C1", SOURCE, 500)
    assert award["published"] and "N1" in award["reason"] and "2026-05-18" in award["reason"]
    assert operator.awards(con, "2026-05") == [award]  # a rerun computes the same single row


def test_an_unpaid_or_partly_paid_first_bill_pays_nothing_even_when_a_later_bill_is_paid(con: Any) -> None:
    unpaid = Operator(
        bills=[bill("2026-04", None), bill("2026-05", date(2026, 6, 2))],
        referrals=[referral("2026-04", date(2026, 4, 10))],
    )
    partly = Operator(
        bills=[bill("2026-04", date(2026, 5, 3), paid=4_999)],
        referrals=[referral("2026-04", date(2026, 4, 10))],
    )
    assert unpaid.by_month(con) == {} and partly.by_month(con) == {}


def test_a_referral_reported_after_the_payment_pays_in_the_month_that_delivered_it(con: Any) -> None:
    operator = Operator(
        bills=[bill("2026-04", date(2026, 5, 18))],
        referrals=[referral("2026-06", date(2026, 4, 10))],  # dated April, in June's extract
    )
    assert operator.by_month(con) == {"2026-06": [("C1", "N1")]}


def test_a_line_referred_twice_pays_its_first_referrer_once(con: Any) -> None:
    operator = Operator(
        bills=[bill("2026-04", date(2026, 4, 30))],
        referrals=[referral("2026-05", date(2026, 5, 2), referrer="C9"), referral("2026-04", date(2026, 4, 10))],
    )
    assert operator.by_month(con) == {"2026-04": [("C1", "N1")]}


def test_a_line_activated_before_the_look_back_earns_nothing(con: Any) -> None:
    operator = Operator(
        bills=[bill("2026-04", date(2026, 5, 18))],
        referrals=[referral("2026-04", date(2026, 4, 10))],
        new_lines={"N1": date(2025, 4, 30)},  # its first bill is before what any of these months reads
    )
    assert operator.by_month(con) == {}


def test_only_a_referrer_still_in_network_earns_one_award_per_referred_line(con: Any) -> None:
    operator = Operator(
        bills=[bill("2026-04", date(2026, 5, 18)), bill("2026-04", date(2026, 5, 20), line="N2")],
        referrals=[referral("2026-04", date(2026, 4, 10)), referral("2026-04", date(2026, 4, 11), line="N2")],
        new_lines={"N1": date(2026, 4, 10), "N2": date(2026, 4, 11)},
    )
    assert operator.award_rows(con, "2026-05") == [("C1", SOURCE, 500), ("C1", "campaign:referral_2026:N2", 500)]
    operator.referrers = [customer("C1", subscribers=0), customer("C9")]
    assert operator.award_rows(con, "2026-05") == []
    operator.referrers = [customer("C9")]  # C1 merged away: its lines moved to the survivor, no features row
    assert operator.award_rows(con, "2026-05") == []


def test_a_referral_campaign_awards_only_within_its_months(con: Any) -> None:
    ended = REFERRAL.model_copy(update={"valid_to": "2026-04"})
    operator = Operator(
        bills=[bill("2026-04", date(2026, 5, 18))],
        referrals=[referral("2026-04", date(2026, 4, 10))],
        rules=LoyaltyRules(**{**dict(RULES), "campaigns": (ended,)}),
    )
    assert operator.award_rows(con, "2026-05") == []
