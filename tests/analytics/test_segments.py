"""Segments and value (brief §2, §9, §10): the rules a marketing analyst or account manager would check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.clusters import BehaviourClusters
from telcocrm.analytics.marts.segments import customer_segments
from telcocrm.jobs.rules import DEFAULT_RULES_FILE, load_rules
from telcocrm.segments.config import SegmentRules

from .conftest import build_table, rows

# Two clusters on voice and data (integer units, see clusters.py): heavy data users and light users.
CLUSTERS = BehaviourClusters(
    features=("voice_minutes", "data_mb"),
    means=(4000, 6000),
    scales=(1000, 2000),
    centroids=((-500, 1500), (-1000, -1000)),
    labels=("data_heavy", "light"),
    sample_rows=100,
)


def person(code: str, **values: Any) -> dict[str, Any]:
    return {
        "month": "2026-10",
        "customer_code": code,
        "customer_kind": "person",
        "customer_tenure_months": 3,
        "arpu_3m_fen": 2_000,
        "arpu_prev_3m_fen": 2_000,
        "main_brand": "ruyitong",
        **values,
    }


def organisation(code: str, category: str, **values: Any) -> dict[str, Any]:
    return person(code, customer_kind="organisation", organisation_category=category, main_brand=None, **values)


def segments(
    con: Any, customers: list[dict[str, Any]], ratings: dict[str, str] | None = None, rules: SegmentRules | None = None
) -> dict[str, dict[str, Any]]:
    credit = [{"customer_code": c, "credit_rating": r} for c, r in (ratings or {}).items()]
    result = customer_segments(
        build_table(con, schemas.CUSTOMER_FEATURES, customers),
        build_table(con, schemas.CREDIT, credit),
        rules or SegmentRules(),
        CLUSTERS,
    )
    assert result.schema().names == tuple(schemas.SEGMENTS.names)
    return {r["customer_code"]: r for r in rows(result, "customer_code")}


def test_government_customer_is_government_enterprise_and_important(con: Any) -> None:
    got = segments(con, [organisation("G1", "government", arpu_3m_fen=80_000)])["G1"]
    assert (got["segment"], got["sub_segment"], got["value_grade"]) == (
        "government_enterprise",
        "cluster_low_end",
        "2A",
    )
    assert got["segment_rule"] == "segment.government_enterprise.cluster_low_end"
    assert got["big_customer_kinds"] == "important"
    assert got["special_class"] is False
    assert "重要客户（government）" in got["big_customer_reason"]
    assert got["star_tier"] == "vip"


def test_industry_customer_takes_its_decision_scope(con: Any) -> None:
    got = segments(con, [organisation("E1", "enterprise", decision_scope="national", arpu_3m_fen=1_200_000)])["E1"]
    assert (got["sub_segment"], got["value_grade"]) == ("industry_national", "4A")
    assert "industry customer (decision scope national)" in got["segment_reason"]


def test_monthly_spend_above_3000_cny_is_high_value(con: Any) -> None:
    got = segments(con, [person("P1", arpu_3m_fen=320_000), person("P2", arpu_3m_fen=300_000)])
    assert got["P1"]["big_customer_kinds"] == "high_value"
    assert "月均消费3200元，超过3000元" in got["P1"]["big_customer_reason"]
    assert got["P2"]["big_customer_kinds"] is None  # exactly 3,000 is not above
    assert got["P2"]["big_customer_reason"] is None
    assert got["P2"]["special_class"] is False


def test_two_kinds_make_a_special_class_big_customer(con: Any) -> None:
    got = segments(
        con,
        [
            organisation("M1", "military", strategic=True),
            organisation("E1", "enterprise", has_group_master=True, group_size=30, arpu_3m_fen=400_000),
            organisation("E2", "enterprise", has_group_master=True, group_size=9),
        ],
    )
    assert (got["M1"]["big_customer_kinds"], got["M1"]["special_class"]) == ("important,strategic", True)
    assert "特级大客户" in got["M1"]["big_customer_reason"]
    assert (got["E1"]["big_customer_kinds"], got["E1"]["special_class"]) == ("high_value,group", True)
    assert got["E2"]["big_customer_kinds"] is None  # a group of 9 is below the 10 of the rules


def test_e8_family_is_sub_segment_e8_and_priority_is_configurable(con: Any) -> None:
    customers = [person("F1", has_e8=True, home_business=True), person("F2", has_family_account=True)]
    got = segments(con, customers)
    assert (got["F1"]["segment"], got["F1"]["sub_segment"]) == ("family", "e8")
    assert got["F1"]["segment_rule"] == "segment.family.e8"
    assert (got["F2"]["segment"], got["F2"]["sub_segment"]) == ("family", "household")
    assert got["F1"]["value_grade"] is None
    reordered = segments(con, customers, rules=SegmentRules(family_priority=("home_business", "e8", "e6")))
    assert reordered["F1"]["sub_segment"] == "home_business"


def test_personal_customers_follow_the_brand_catalogue(con: Any) -> None:
    got = segments(con, [person("P1", main_brand="up_xinshili"), person("P2", main_brand="unknown_brand")])
    assert (got["P1"]["segment"], got["P1"]["sub_segment"]) == ("personal", "youth")
    assert "UP新势力" in got["P1"]["segment_reason"]
    assert got["P2"]["sub_segment"] == "other"
    assert "not in the catalogue" in got["P2"]["segment_reason"]


def test_five_way_classification(con: Any) -> None:
    got = segments(
        con,
        [
            person(
                "P1",
                arpu_3m_fen=16_000,
                deposit_fen_12m=50_000,
                customer_tenure_months=40,
                birth_year=1990,
                income_band="mid",
                voice_minutes=30,
                data_mb=40_000,
            ),
            person("P2", customer_tenure_months=None, voice_minutes=1, data_mb=1),
            organisation("O1", "public_institution"),
        ],
    )
    p1 = got["P1"]
    assert (p1["arpu_grade"], p1["deposit_tier"], p1["tenure_band"]) == ("high", "mid", "3_to_5y")
    assert p1["demographic_band"] == "age_35_44/mid"  # 2026 − 1990 = 36
    assert p1["behaviour_cluster"] == "data_heavy"
    p2 = got["P2"]
    assert (p2["deposit_tier"], p2["tenure_band"], p2["demographic_band"]) == (
        "none",
        "under_1y",
        "age_unknown/income_unknown",
    )
    assert p2["behaviour_cluster"] == "light"
    assert got["O1"]["demographic_band"] == "public_institution"


def test_star_tiers_follow_spend_tenure_and_credit(con: Any) -> None:
    customers = [
        person("P5", arpu_3m_fen=60_000, customer_tenure_months=30),
        person("P5C", arpu_3m_fen=60_000, customer_tenure_months=30),
        person("P1", arpu_3m_fen=1_000),
    ]
    got = segments(con, customers, ratings={"P5": "A", "P5C": "C", "P1": "A"})
    assert (got["P5"]["star_tier"], got["P5"]["star_rule"]) == ("5", "star.5")
    assert "达到5星" in got["P5"]["star_reason"]
    assert got["P5C"]["star_tier"] == "1"  # credit C meets no star bar
    assert (got["P1"]["star_tier"], got["P1"]["star_rule"]) == ("1", "star.1")


def test_value_tier_adds_points_for_arpu_tenure_growth_and_group(con: Any) -> None:
    got = segments(
        con,
        [
            # ARPU 300 CNY: 40, tenure 40 months: 15, growth 25 %: 20 → 75, high
            person("H", arpu_3m_fen=30_000, arpu_prev_3m_fen=24_000, customer_tenure_months=40),
            # ARPU 100 CNY: 20, tenure 12: 10, growth −10 %: 0 → 30, mid
            person("M", arpu_3m_fen=10_000, arpu_prev_3m_fen=11_111, customer_tenure_months=12),
            # ARPU 20 CNY: 0, tenure 3: 0, no previous spend: 0 → low
            person("L", arpu_3m_fen=2_000, arpu_prev_3m_fen=0),
        ],
    )
    assert (got["H"]["value_tier"], got["H"]["value_rule"]) == ("high", "value.high")
    assert got["H"]["value_reason"].startswith("价值积分75（")
    assert (got["M"]["value_tier"], got["L"]["value_tier"]) == ("mid", "low")
    assert "growth 0 (-10%)" in got["M"]["value_reason"]


def test_rules_file_holds_every_default() -> None:
    assert load_rules(DEFAULT_RULES_FILE).segments == SegmentRules()


def test_bands_must_be_highest_first() -> None:
    with pytest.raises(ValidationError):
        SegmentRules(tenure_bands=({"code": "a", "at_least": 0}, {"code": "b", "at_least": 12}))
