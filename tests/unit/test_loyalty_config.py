"""The [loyalty] rules: every default written out in the rules file, inconsistent rules refused."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from telcocrm.errors import InvalidInput
from telcocrm.jobs.rules import DEFAULT_RULES_FILE, load_rules
from telcocrm.loyalty.config import CUSTOMER_GROUPS, Campaign, LoyaltyRules, Publication


def test_the_rules_file_lists_every_loyalty_default() -> None:
    data = tomllib.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))["loyalty"]
    assert set(data) == set(LoyaltyRules.model_fields)
    assert set(data["published"]) == set(Publication.model_fields)
    assert LoyaltyRules(**data) == LoyaltyRules()
    assert load_rules(DEFAULT_RULES_FILE).loyalty == LoyaltyRules()


def test_points_expire_after_the_second_calendar_year_by_default() -> None:
    assert LoyaltyRules().expiry_calendar_years == 2


def campaign(**change: Any) -> dict[str, Any]:
    fields = {"code": "c1", "rule": "points.bonus.c1", "points": 10, "condition": "joined_in_month"}
    return {**fields, "valid_from": "2026-01", "valid_to": "2026-12", **change}


@pytest.mark.parametrize(
    "change",
    [
        {"consumption_points_per_cny": {group: 1 for group in CUSTOMER_GROUPS[1:]}},  # a group without a rate
        {"consumption_points_per_cny": {**{group: 1 for group in CUSTOMER_GROUPS}, "family": -1}},
        {"tenure_multiplier_pct": ((1, 110),)},  # must start at year 0
        {"tenure_multiplier_pct": ((0, 100), (3, 120), (1, 110))},  # must ascend
        {"tenure_multiplier_pct": ((0, 100), (1, 90))},  # a multiplier never takes points away
        {"campaigns": (campaign(), campaign(rule="points.bonus.other"))},  # one code, two sources
        {"campaigns": (campaign(valid_from="2026-07", valid_to="2026-06"),)},
        {"campaigns": (campaign(condition="birthday"),)},  # outside the vocabulary the mart evaluates
        {"campaigns": (campaign(rule="points.consumption"),)},  # a bonus is points.bonus.<name>
        {"campaigns": (campaign(valid_from="2026-13"),)},
        {"campaigns": (campaign(points=0),)},
        {"reward_unit_cost_fen": -1},
    ],
)
def test_inconsistent_rules_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LoyaltyRules(**change)


def test_a_campaign_awards_from_its_first_to_its_last_month() -> None:
    rules = LoyaltyRules(campaigns=(Campaign(**campaign(valid_from="2026-03", valid_to="2026-05")),))
    assert [bool(rules.active_campaigns(m)) for m in ("2026-02", "2026-03", "2026-05", "2026-06")] == [
        False,
        True,
        True,
        False,
    ]


def test_a_rules_file_with_a_bad_loyalty_section_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('version = "t"\n[loyalty]\ntenure_multiplier_pct = [[2, 100]]\n', encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_rules(path)
