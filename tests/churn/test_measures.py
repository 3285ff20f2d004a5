"""The retention measures catalogue (seed 001 PM001…DA004) and what a customer may be offered within the cap."""

from __future__ import annotations

import pytest

from telcocrm.churn.cost_cap import load_retention_rules
from telcocrm.churn.measures import RetentionMeasure, check_offer, offers_within_cap
from telcocrm.errors import InvalidInput, NotFound
from telcocrm.models.enums import ChurnSignal

RULES = load_retention_rules()
SEED_CODES = {
    f"{prefix}{n:03d}"
    for prefix, count in {
        "PM": 3, "PS": 4, "PA": 5, "RM": 5, "RS": 5, "RA": 5, "DM": 4, "DS": 3, "DA": 4,
    }.items()
    for n in range(1, count + 1)
}  # fmt: skip


def test_catalogue_holds_every_measure_of_the_seed_with_its_phase() -> None:
    by_code = {m.code: m for m in RULES.measures}
    assert set(by_code) == SEED_CODES
    assert {by_code[c].phase.value for c in ("PM001", "PS002", "PA005")} == {"prevention"}
    assert {by_code[c].phase.value for c in ("RM002", "RS005", "RA001")} == {"maintenance"}
    assert {by_code[c].phase.value for c in ("DM001", "DS002", "DA004")} == {"save"}
    assert all(m.name_zh and m.name_en and m.description for m in RULES.measures)


def test_every_signal_has_a_save_offer_for_some_customer() -> None:
    answered = {s for m in RULES.measures if m.offered and m.phase == "save" for s in m.signals}
    assert answered == set(ChurnSignal)


def test_offers_are_cheapest_first_and_within_the_cap() -> None:
    offers = offers_within_cap(
        RULES, signal="port_out_query", value_tier="high", lifecycle_stage="warning", cap_fen=20_000
    )
    costs = [m.cost_fen for m in offers]
    assert costs == sorted(costs) and max(costs) <= 20_000
    assert {"DM001", "DM002"} <= {m.code for m in offers}
    cheaper = offers_within_cap(
        RULES, signal="port_out_query", value_tier="high", lifecycle_stage="warning", cap_fen=19_999
    )
    assert "DM002" not in {m.code for m in cheaper}  # 200 CNY contract save no longer fits


def test_offers_suit_the_signal_the_tier_and_the_stage() -> None:
    low = offers_within_cap(RULES, signal="contract_ending", value_tier="low", lifecycle_stage="warning", cap_fen=10**6)
    assert all("contract_ending" in m.signals and "low" in m.value_tiers for m in low)
    assert "DM002" not in {m.code for m in low}  # contract save targets mid and high-end customers
    left = offers_within_cap(RULES, signal="complaint", value_tier="high", lifecycle_stage="left", cap_fen=10**6)
    assert [m.code for m in left] == ["DS003"]  # after leaving, only win-back
    prevention = offers_within_cap(
        RULES, signal=None, value_tier="mid", lifecycle_stage="identification", cap_fen=0, phase="prevention"
    )
    assert [m.code for m in prevention] == ["PS002"]  # internal processes (PM001 …) are never offered


def test_an_offer_within_the_cap_is_accepted() -> None:
    assert check_offer(RULES, "DM001", 10_000).code == "DM001"


def test_an_offer_above_the_cap_is_refused_naming_cost_and_cap() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_offer(RULES, "DM002", 12_345)
    assert refused.value.field == "measure_code" and refused.value.record == "DM002"
    assert "200.00" in refused.value.message and "123.45" in refused.value.message


def test_internal_processes_and_unknown_codes_are_not_offers() -> None:
    with pytest.raises(InvalidInput, match="internal process"):
        check_offer(RULES, "DA003", 10**6)
    with pytest.raises(NotFound):
        check_offer(RULES, "XX999", 10**6)


def test_a_code_must_match_its_phase() -> None:
    with pytest.raises(ValueError, match="contradicts"):
        RetentionMeasure(code="DM009", phase="prevention", name_zh="x", name_en="x", cost_fen=0)
