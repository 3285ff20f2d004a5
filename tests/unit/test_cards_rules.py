"""Pure rules of cards and rewards: card numbers, holders, levels from value, who may redeem what (issue 4, 4–5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telcocrm.errors import InvalidInput
from telcocrm.loyalty import cards_rules as rules
from telcocrm.loyalty.cards_rules import SegmentFacts
from telcocrm.loyalty.catalogue import load_catalogue, parse_catalogue
from telcocrm.loyalty.rewards_rules import RewardTerms, points_for, refusal
from telcocrm.models.enums import CardAction, CardHolder, CardHolderRole, CardKind, CardLevel, CustomerKind

LEVELS = load_catalogue().card_levels


def facts(
    value_tier: str = "low", star_tier: str = "1", grade: str | None = None, segment: str = "personal"
) -> SegmentFacts:
    return SegmentFacts("2026-05", segment, value_tier, star_tier, grade)


def terms(**changes: object) -> RewardTerms:
    base: dict[str, object] = {
        "code": "gift", "active": True, "points_price": 500, "segments": (), "value_tiers": (), "card_levels": (),
        "stock": None, "valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31),
    }  # fmt: skip
    return RewardTerms(**(base | changes))


@given(st.integers(min_value=1, max_value=10**13 - 1))
def test_every_card_number_passes_its_own_check(serial: int) -> None:
    number = rules.card_number("86", serial)
    assert len(number) == 16 and number.startswith("86")
    assert rules.checked_card_number(number) == number


@given(st.integers(min_value=1, max_value=10**13 - 1), st.integers(min_value=0, max_value=15), st.integers(1, 9))
def test_a_typo_in_any_one_digit_is_refused(serial: int, position: int, shift: int) -> None:
    number = rules.card_number("86", serial)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(InvalidInput, match="校验位") as refused:
        rules.checked_card_number(typo)
    assert refused.value.field == "card_number"


def test_spaces_and_dashes_are_allowed_but_letters_and_wrong_lengths_are_not() -> None:
    number = rules.card_number("86", 42)
    assert rules.checked_card_number(f"{number[:4]} {number[4:8]}-{number[8:]}") == number
    for bad in (number[:-1], number + "0", "86ABCDEFGHIJKLMN"):
        with pytest.raises(InvalidInput, match="16 位"):
            rules.checked_card_number(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (facts(star_tier="vip"), CardLevel.DIAMOND),
        (facts(grade="4A", value_tier="low"), CardLevel.DIAMOND),
        (facts(value_tier="high", star_tier="3"), CardLevel.PLATINUM),
        (facts(star_tier="5"), CardLevel.PLATINUM),
        (facts(value_tier="mid"), CardLevel.VIP),
        (facts(star_tier="4"), CardLevel.VIP),
        (facts(grade="2A"), CardLevel.VIP),
    ],
)
def test_the_level_is_the_highest_the_value_reaches(value: SegmentFacts, expected: CardLevel) -> None:
    decided = rules.level_for(LEVELS, value)
    assert decided is not None and decided.level is expected
    assert decided.rule == f"card.level.{expected.value}" and "2026-05" in decided.reason


def test_low_value_or_no_assessment_reaches_no_level() -> None:
    assert rules.level_for(LEVELS, facts(value_tier="low", star_tier="3", grade="1A")) is None
    assert rules.level_for(LEVELS, None) is None


def test_review_keeps_a_card_at_the_lowest_level_and_changes_nothing_without_a_value() -> None:
    assert rules.reviewed_level(LEVELS, CardLevel.PLATINUM, facts()).level is CardLevel.VIP
    assert rules.reviewed_level(LEVELS, CardLevel.PLATINUM, None).level is CardLevel.PLATINUM


def test_level_changes_are_named_by_direction() -> None:
    assert rules.level_change(CardLevel.VIP, CardLevel.DIAMOND) is CardAction.UPGRADE
    assert rules.level_change(CardLevel.DIAMOND, CardLevel.PLATINUM) is CardAction.DOWNGRADE
    assert rules.level_change(CardLevel.VIP, CardLevel.VIP) is None


def test_levels_are_data_a_new_file_changes_them() -> None:
    text = (
        'version = "t"\ncard_number_prefix = "86"\n'
        + "".join(
            f'[[card_kinds]]\nkind = "{k.value}"\nzh = "卡"\nen = "card"\nholders = ["personal"]\n' for k in CardKind
        )
        + '[[card_levels]]\nlevel = "diamond"\nzh = "钻"\nen = "D"\nvalue_tiers = ["mid"]\n'
        + '[[card_levels]]\nlevel = "platinum"\nzh = "白"\nen = "P"\n'
        + '[[card_levels]]\nlevel = "vip"\nzh = "贵"\nen = "V"\n'
    )
    decided = rules.level_for(parse_catalogue(text).card_levels, facts(value_tier="mid"))
    assert decided is not None and decided.level is CardLevel.DIAMOND


def test_company_cards_name_a_decision_maker_or_handler_of_an_organisation() -> None:
    spec = load_catalogue().kind(CardKind.SHANGWU_LINGHANG)
    rules.check_holder(spec, CardHolder.COMPANY, CardHolderRole.HANDLER, CustomerKind.ORGANISATION)
    rules.check_holder(spec, CardHolder.PERSONAL, CardHolderRole.SELF, CustomerKind.PERSON)
    with pytest.raises(InvalidInput, match="单位客户"):
        rules.check_holder(spec, CardHolder.COMPANY, CardHolderRole.HANDLER, CustomerKind.PERSON)
    with pytest.raises(InvalidInput, match="决策人或经办人"):
        rules.check_holder(spec, CardHolder.COMPANY, CardHolderRole.SELF, CustomerKind.ORGANISATION)
    with pytest.raises(InvalidInput, match="个人客户"):
        rules.check_holder(spec, CardHolder.PERSONAL, CardHolderRole.SELF, CustomerKind.ORGANISATION)
    with pytest.raises(InvalidInput) as refused:
        rules.check_holder(
            load_catalogue().kind(CardKind.WODE_EJIA),
            CardHolder.COMPANY,
            CardHolderRole.HANDLER,
            CustomerKind.ORGANISATION,
        )
    assert refused.value.field == "holder"


def test_a_reward_is_refused_outside_its_dates_or_when_withdrawn() -> None:
    assert refusal(terms(), facts(), set(), date(2026, 12, 31)) is None
    late = refusal(terms(), facts(), set(), date(2027, 1, 1))
    assert late is not None and late.field == "valid_from" and "2027-01-01" in late.message
    early = refusal(terms(), facts(), set(), date(2025, 12, 31))
    assert early is not None and early.field == "valid_from"
    assert refusal(terms(valid_to=None), facts(), set(), date(2030, 1, 1)) is None
    withdrawn = refusal(terms(active=False), facts(), set(), date(2026, 6, 1))
    assert withdrawn is not None and withdrawn.field == "active"


def test_a_reward_for_a_segment_tier_or_card_level_is_refused_to_others() -> None:
    day = date(2026, 6, 1)
    for_enterprises = terms(segments=("government_enterprise",))
    assert refusal(for_enterprises, facts(segment="government_enterprise"), set(), day) is None
    assert refusal(for_enterprises, facts(segment="family"), set(), day).field == "segments"
    assert refusal(for_enterprises, None, set(), day).field == "segments"
    assert refusal(terms(value_tiers=("high",)), facts(value_tier="mid"), set(), day).field == "value_tiers"
    club = terms(card_levels=("diamond", "platinum"))
    assert refusal(club, facts(), {"vip"}, day).field == "card_levels"
    assert refusal(club, facts(), {"vip", "platinum"}, day) is None


def test_stock_refuses_more_units_than_are_left_and_unlimited_never_does() -> None:
    day = date(2026, 6, 1)
    assert refusal(terms(stock=2), facts(), set(), day, quantity=2) is None
    short = refusal(terms(stock=2), facts(), set(), day, quantity=3)
    assert short is not None and short.field == "stock" and "2" in short.message
    assert refusal(terms(stock=None), facts(), set(), day, quantity=10_000) is None
    assert points_for(terms(), 3) == 1500
