"""The retention cost cap (brief §8, seed 001 维系挽留成本决策): value decides what keeping a customer may cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from telcocrm.churn.cost_cap import RETENTION_RULES_FILE, RetentionRules, load_retention_rules, retention_cost_cap
from telcocrm.errors import InvalidInput

RULES = load_retention_rules()


def cap(arpu_fen: int, value_tier: str = "high", group_size: int = 0, product: str | None = "mobile") -> int:
    return retention_cost_cap(
        arpu_fen=arpu_fen, value_tier=value_tier, group_size=group_size, product=product, rules=RULES
    )


def test_a_low_spender_is_capped_by_the_revenue_it_brings() -> None:
    params = RULES.cost_cap
    expected = 5_000 * params.revenue_share_pct * params.expected_months // 100  # below one mobile ACPU
    assert expected < RULES.acpu("mobile")
    assert cap(5_000) == expected


def test_a_big_spender_is_capped_by_what_a_new_line_would_cost() -> None:
    assert cap(500_000) == RULES.acpu("mobile") == cap(900_000)
    assert cap(500_000, product="broadband") == RULES.acpu("broadband") > cap(500_000)


def test_lower_value_tiers_get_a_smaller_share() -> None:
    assert cap(30_000, "high") > cap(30_000, "mid") > cap(30_000, "low") > 0


def test_a_group_customer_is_worth_its_members_up_to_the_bound() -> None:
    alone, group = cap(2_000_000, group_size=1), cap(2_000_000, group_size=10)
    assert group == 10 * alone
    biggest = RULES.cost_cap.max_group_size
    assert cap(10**9, group_size=biggest * 10) == cap(10**9, group_size=biggest)
    assert cap(2_000_000, group_size=0) == alone  # a customer without a group counts as one member


def test_no_revenue_no_budget() -> None:
    assert cap(0) == cap(-3_000) == 0


def test_unknown_product_uses_the_default_acquisition_cost() -> None:
    assert cap(10**7, product=None) == cap(10**7, product="satellite") == RULES.cost_cap.default_acpu_fen


def test_unknown_value_tier_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        cap(10_000, "platinum")
    assert raised.value.field == "value_tier"


def test_rules_file_is_versioned_and_checked(tmp_path: Path) -> None:
    assert RULES.rules_version.startswith(f"{RULES.version}#") and len(RULES.digest) == 8
    broken = RETENTION_RULES_FILE.read_text(encoding="utf-8").replace('"DS001",  # one-to-one', '"DA003",  # x')
    path = tmp_path / "retention.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InvalidInput, match="DA003"):  # an internal process cannot be recommended
        load_retention_rules(path)
    tiers = RULES.cost_cap.model_dump() | {"tier_factor_pct": {"high": 100, "mid": 60}}
    with pytest.raises(ValueError, match="tier_factor_pct"):
        RetentionRules.model_validate(RULES.model_dump() | {"cost_cap": tiers})
