"""Loyalty points of the month: the earning and publication rules of brief §4 and issue 4, on every engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.points import points_awards, points_liability, subscriber_points
from telcocrm.loyalty.config import CUSTOMER_GROUPS, Campaign, LoyaltyRules, Publication
from tests.analytics.conftest import build_table, rows
from tests.analytics.inputs import month_inputs

MONTH = "2026-06"
# Explicit rules, so each expectation below reads straight from them.
RULES = LoyaltyRules(
    consumption_points_per_cny={
        "party_government_military": 3,
        "business_leader_high_mid": 2,
        "business_leader_low_end": 1,
        "other_enterprise": 1,
        "family": 1,
        "personal": 1,
    },
    tenure_multiplier_pct=((0, 100), (1, 110), (3, 120), (5, 150)),
    published=Publication(value_tiers=("high",), loyal_min_years=5),
)


def customer(code: str = "C1", **overrides: Any) -> dict[str, Any]:
    return {
        "month": MONTH,
        "customer_code": code,
        "customer_kind": "person",
        "customer_tenure_months": 24,
        "subscribers": 1,
        "strategic": False,
        "bank_collection": False,
        **overrides,
    }


def segment(code: str = "C1", value_tier: str = "high", kind: str = "personal") -> dict[str, Any]:
    return {"customer_code": code, "segment": kind, "value_tier": value_tier}


def payment(amount: int, paid_date: date | None, subscriber_id: str = "S1", **overrides: Any) -> dict[str, Any]:
    """A bill of May (due 20 June) of `amount` fen, paid in full on `paid_date` unless overridden."""
    bill = {"month": "2026-05", "billed_fen": amount, "due_date": date(2026, 6, 20), "paid_fen": amount}
    return {"subscriber_id": subscriber_id, "paid_date": paid_date, **bill, **overrides}


@dataclass
class Month:
    """One customer per entry of `customers`, one line S<n> each unless `lines` says otherwise."""

    customers: list[dict[str, Any]]
    lines: list[tuple[str, str]] | None = None  # (subscriber_id, customer_code)
    segments: list[dict[str, Any]] | None = None
    ratings: dict[str, str] | None = None  # customer_code → A/B/C; default A
    bills: tuple[dict[str, Any], ...] = ()
    members: tuple[dict[str, Any], ...] = ()
    previous: list[dict[str, Any]] | None = None  # last month's customer features
    rules: LoyaltyRules = RULES

    def run(self, con: Any) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
        """(subscriber points by subscriber id, awards by (customer_code, rule)), the schemas checked."""
        codes = [c["customer_code"] for c in self.customers]
        lines = self.lines or [(f"S{n}", code) for n, code in enumerate(codes, 1)]
        features = build_table(
            con,
            schemas.SUBSCRIBER_FEATURES,
            [{"month": MONTH, "subscriber_id": s, "customer_code": c} for s, c in lines],
        )
        customers = build_table(con, schemas.CUSTOMER_FEATURES, self.customers)
        segments = build_table(con, schemas.SEGMENTS, self.segments or [segment(code) for code in codes])
        ratings = self.ratings or {}
        credit = build_table(
            con, schemas.CREDIT, [{"customer_code": c, "credit_rating": ratings.get(c, "A")} for c in codes]
        )
        members = build_table(con, schemas.POINTS_MEMBERS, list(self.members))
        previous = None if self.previous is None else build_table(con, schemas.CUSTOMER_FEATURES, self.previous)
        inputs = month_inputs(con, MONTH, bills=self.bills)
        points = subscriber_points(inputs, features, customers, segments, self.rules)
        assert points.schema() == ibis.schema(schemas.SUBSCRIBER_POINTS)
        points = ibis.memtable(points.to_pyarrow())  # materialised, as the monthly run does
        awards = points_awards(
            points, customers, credit, segments, members, self.rules, month=MONTH, previous_customers=previous
        )
        assert awards.schema() == ibis.schema(schemas.POINTS_AWARDS)
        by_line = {r["subscriber_id"]: r for r in rows(points, "subscriber_id")}
        by_award = {(r["customer_code"], r["rule"]): r for r in rows(awards, "customer_code", "rule")}
        assert len(by_award) == awards.count().to_pyarrow().as_py()  # one row per (customer, rule, source)
        return by_line, by_award


def consumption(yuan: int, group: str = "personal", rules: LoyaltyRules = RULES) -> int:
    rates: dict[str, int] = dict(rules.consumption_points_per_cny)
    return yuan * rates[group]


def test_points_are_earned_on_what_was_billed_and_paid_in_the_month(con: Any) -> None:
    bills = (
        payment(12_850, date(2026, 6, 20), billed_fen=20_000),  # 128.50 CNY paid of 200: points on the paid part
        payment(9_900, date(2026, 7, 2), month="2026-06"),  # paid next month: earns then, not now
        payment(5_000, date(2026, 5, 20), month="2026-04"),  # paid last month: earned then
        payment(3_000, date(2026, 6, 10), subscriber_id="S2", billed_fen=2_000),  # overpaid: only the billed part
        payment(4_000, date(2026, 6, 25), subscriber_id="S2", paid_fen=0),  # unpaid: nothing
    )
    lines, awards = Month([customer("C1"), customer("C2")], bills=bills).run(con)
    assert (lines["S1"]["paid_fen"], lines["S1"]["consumption_points"]) == (12_850, consumption(128))
    assert (lines["S2"]["paid_fen"], lines["S2"]["consumption_points"]) == (2_000, consumption(20))
    award = awards[("C1", "points.consumption")]
    assert (award["points"], award["source"], award["month"]) == (consumption(128), "billing", MONTH)
    assert award["reason"].startswith(f"已缴消费128元 × 每元1分（个人客户）= {consumption(128)}分")


def test_a_customer_earns_on_the_whole_cny_of_all_its_lines_together(con: Any) -> None:
    month = Month(
        [customer(subscribers=2)],
        lines=[("S1", "C1"), ("S2", "C1")],
        bills=(payment(5_050, date(2026, 6, 20)), payment(5_050, date(2026, 6, 21), subscriber_id="S2")),
    )
    lines, awards = month.run(con)
    assert [lines[s]["consumption_points"] for s in ("S1", "S2")] == [consumption(50), consumption(50)]
    assert awards[("C1", "points.consumption")]["points"] == consumption(101)  # 101.00 CNY, one rounding


def test_the_tenure_multiplier_rises_with_years_in_network(con: Any) -> None:
    months = {"C0": 11, "C1": 12, "C3": 36, "C5": 60, "C9": 119}
    customers = [customer(code, customer_tenure_months=m) for code, m in months.items()]
    bills = tuple(payment(10_000, date(2026, 6, 20), subscriber_id=f"S{n}") for n in range(1, len(months) + 1))
    lines, awards = Month(customers, bills=bills).run(con)
    base = consumption(100)
    for code, pct in (("C1", 110), ("C3", 120), ("C5", 150), ("C9", 150)):
        assert awards[(code, "points.tenure")]["points"] == base * (pct - 100) // 100
    assert ("C0", "points.tenure") not in awards  # under a year: ×100 %, no tenure points
    assert lines["S4"]["tenure_multiplier_pct"] == 150
    assert lines["S4"]["points"] == base + base * 50 // 100
    assert awards[("C3", "points.tenure")]["reason"].startswith(f"消费积分{base} × 在网3年加成20% = ")


def test_credit_points_go_by_rating_to_customers_still_in_network(con: Any) -> None:
    customers = [customer("CA"), customer("CB"), customer("CC"), customer("CL", subscribers=0)]
    ratings = {"CA": "A", "CB": "B", "CC": "C", "CL": "A"}
    _, awards = Month(customers, ratings=ratings).run(con)
    by_rating = RULES.credit_points
    assert awards[("CA", "points.credit")]["points"] == by_rating.A
    assert awards[("CB", "points.credit")]["points"] == by_rating.B
    assert by_rating.C == 0 and ("CC", "points.credit") not in awards  # zero points: no row
    assert ("CL", "points.credit") not in awards  # every line has left by the month's end
    assert awards[("CA", "points.credit")]["source"] == "credit"


def test_a_bank_collection_sign_up_earns_the_campaign_bonus_once(con: Any) -> None:
    campaign = RULES.active_campaigns(MONTH)[0]
    customers = [
        customer("NEW", bank_collection=True, subscribers=2),  # two lines on bank collection: one bonus
        customer("OLD", bank_collection=True),  # already on bank collection last month
        customer("NONE"),
        customer("FRESH", bank_collection=True),  # not a customer last month: signs up with its first bill
    ]
    previous = [customer(c, bank_collection=c == "OLD", month="2026-05") for c in ("NEW", "OLD", "NONE")]
    lines = [("S1", "NEW"), ("S2", "NEW"), ("S3", "OLD"), ("S4", "NONE"), ("S5", "FRESH")]
    _, awards = Month(customers, lines=lines, previous=previous).run(con)
    bonus = [key for key in awards if key[1] == campaign.rule]
    assert bonus == [("FRESH", campaign.rule), ("NEW", campaign.rule)]
    award = awards[("NEW", campaign.rule)]
    assert (award["points"], award["source"]) == (campaign.points, f"campaign:{campaign.code}")
    _, unknown = Month(customers, lines=lines).run(con)  # no previous month: a sign-up cannot be shown
    assert not [key for key in unknown if key[1] == campaign.rule]


def test_a_campaign_awards_only_within_its_months(con: Any) -> None:
    def welcome(valid_from: str, valid_to: str) -> LoyaltyRules:
        campaign = Campaign(
            code="welcome", rule="points.bonus.welcome", points=88, condition="joined_in_month",
            valid_from=valid_from, valid_to=valid_to,
        )  # fmt: skip
        return RULES.model_copy(update={"campaigns": (campaign,)})

    newcomer = [customer("C1", customer_tenure_months=0), customer("C2")]
    _, during = Month(newcomer, rules=welcome("2026-06", "2026-06")).run(con)
    assert during[("C1", "points.bonus.welcome")]["points"] == 88
    assert ("C2", "points.bonus.welcome") not in during  # joined long ago
    _, after = Month(newcomer, rules=welcome("2026-01", "2026-05")).run(con)
    assert ("C1", "points.bonus.welcome") not in after


def test_points_are_computed_for_everyone_and_published_only_for_the_subset(con: Any) -> None:
    customers = [
        customer("HIGH"),
        customer("LOW"),
        customer("OPTED"),
        customer("SENSITIVE"),
        customer("STRATEGIC", strategic=True),
        customer("LOYAL", customer_tenure_months=60),
    ]
    segments = [segment("HIGH", "high"), *(segment(c["customer_code"], "low") for c in customers[1:])]
    members = (
        {"customer_code": "OPTED", "opted_in": True, "points_sensitive": False},
        {"customer_code": "SENSITIVE", "opted_in": False, "points_sensitive": True},
        {"customer_code": "LOW", "opted_in": False, "points_sensitive": False},
    )
    _, awards = Month(customers, segments=segments, members=members).run(con)
    published = {code: awards[(code, "points.credit")]["published"] for code in (c["customer_code"] for c in customers)}
    assert published == {
        "HIGH": True,
        "LOW": False,
        "OPTED": True,
        "SENSITIVE": True,
        "STRATEGIC": True,
        "LOYAL": True,
    }
    assert awards[("LOW", "points.credit")]["points"] == RULES.credit_points.A  # computed all the same
    assert "未公布" in awards[("LOW", "points.credit")]["reason"]
    assert "积分获得：已定制积分" in awards[("OPTED", "points.credit")]["reason"]


def test_the_customer_group_decides_the_rate(con: Any) -> None:
    org = {"customer_kind": "organisation"}
    customers = [
        customer("PGM", organisation_category="government", main_brand="shangwu_linghang", **org),
        customer("BLH", organisation_category="enterprise", main_brand="shangwu_linghang", **org),
        customer("BLL", organisation_category="enterprise", main_brand="shangwu_linghang", **org),
        customer("ENT", organisation_category="enterprise", main_brand="jituan", **org),
        customer("FAM"),
        customer("PER"),
    ]
    kinds = ["government_enterprise"] * 4 + ["family", "personal"]
    tiers = ["low", "mid", "low", "high", "high", "high"]
    segments = [segment(c["customer_code"], t, k) for c, t, k in zip(customers, tiers, kinds, strict=True)]
    bills = tuple(payment(10_000, date(2026, 6, 20), subscriber_id=f"S{n}") for n in range(1, 7))
    lines, awards = Month(customers, segments=segments, bills=bills).run(con)
    groups = [lines[f"S{n}"]["customer_group"] for n in range(1, 7)]
    assert groups == list(CUSTOMER_GROUPS)  # the customers above are built in the order of the groups
    for n, group in enumerate(groups, 1):
        code = customers[n - 1]["customer_code"]
        assert awards[(code, "points.consumption")]["points"] == consumption(100, group)


def test_the_liability_is_published_points_times_the_unit_cost_per_branch(con: Any) -> None:
    customers = [customer("H1"), customer("H2"), customer("L1")]
    segments = [segment("H1", "high"), segment("H2", "high"), segment("L1", "low")]
    bills = (payment(10_000, date(2026, 6, 20)), payment(10_000, date(2026, 6, 20), subscriber_id="S3"))
    _, awards = Month(customers, segments=segments, bills=bills).run(con)
    table = build_table(con, schemas.POINTS_AWARDS, list(awards.values()))
    cities = {"H1": "杭州市", "H2": "宁波市", "L1": "杭州市"}
    base = build_table(con, schemas.BASE, [{"customer_code": code, "city": city} for code, city in cities.items()])
    unit_cost = 3
    result = points_liability(table, build_table(con, schemas.SEGMENTS, segments), base, unit_cost)
    assert result.schema() == ibis.schema(schemas.POINTS_LIABILITY)
    published = {c: sum(a["points"] for (code, _), a in awards.items() if code == c and a["published"]) for c in cities}
    assert published["L1"] == 0 and published["H1"] > 0 and published["H2"] > 0, "low value is not published"
    assert rows(result, "city") == [
        {"month": MONTH, "city": city, "segment": "personal", "value_tier": "high", "customers": 1,
         "points": published[code], "liability_fen": published[code] * unit_cost}
        for code, city in (("H2", "宁波市"), ("H1", "杭州市"))
    ]  # fmt: skip
