"""Rules of 百事通 cards as pure functions: card numbers with a Damm check digit, holders, levels from value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from stdnum import damm

from telcocrm.errors import InvalidInput
from telcocrm.loyalty.catalogue import CardKindSpec, LevelSpec
from telcocrm.models.enums import CardAction, CardHolder, CardHolderRole, CardLevel, CustomerKind

CARD_SERIAL_DIGITS = 13
CARD_NUMBER_DIGITS = 2 + CARD_SERIAL_DIGITS + 1  # prefix, serial, check digit
_SEPARATORS = re.compile(r"[\s-]")
# Levels from the highest: a smaller rank is a higher level.
LEVEL_RANK = {level: rank for rank, level in enumerate(CardLevel)}
COMPANY_ROLES = (CardHolderRole.DECISION_MAKER, CardHolderRole.HANDLER)


@dataclass(frozen=True)
class SegmentFacts:
    """What the latest published segment row says about a customer's value."""

    month: str
    segment: str
    value_tier: str
    star_tier: str
    value_grade: str | None


@dataclass(frozen=True)
class LevelDecision:
    """The level a customer's value reaches, the rule that decided and why."""

    level: CardLevel
    rule: str
    reason: str


def card_number(prefix: str, serial: int) -> str:
    """The card number of a serial: prefix, 13-digit serial and a Damm check digit."""
    if serial <= 0 or serial >= 10**CARD_SERIAL_DIGITS:
        raise ValueError(f"card serial {serial} out of range")
    body = f"{prefix}{serial:0{CARD_SERIAL_DIGITS}d}"
    return body + damm.calc_check_digit(body)


def checked_card_number(text: str) -> str:
    """The card number as stored (spaces and dashes dropped), or InvalidInput when it cannot be one."""
    number = _SEPARATORS.sub("", text)
    if len(number) != CARD_NUMBER_DIGITS or not number.isdigit():
        raise InvalidInput(
            f"卡号须为 {CARD_NUMBER_DIGITS} 位数字 / a card number has {CARD_NUMBER_DIGITS} digits: {text!r}",
            field="card_number",
            record=text,
        )
    if not damm.is_valid(number):
        raise InvalidInput(
            f"卡号校验位错误，请核对卡号 / wrong check digit in card number {number}: check the number",
            field="card_number",
            record=number,
        )
    return number


def level_for(levels: Sequence[LevelSpec], facts: SegmentFacts | None) -> LevelDecision | None:
    """The first level (highest first) whose star tiers, value tiers or value grades include the customer's."""
    if facts is None:
        return None
    for spec in levels:
        why = _reached(spec, facts)
        if why:
            return LevelDecision(spec.level, f"card.level.{spec.level.value}", f"{facts.month} {why} → {spec.zh}")
    return None


def _reached(spec: LevelSpec, facts: SegmentFacts) -> str | None:
    if facts.star_tier in spec.star_tiers:
        return f"星级 star tier {facts.star_tier}"
    if facts.value_tier in spec.value_tiers:
        return f"价值层 value tier {facts.value_tier}"
    if facts.value_grade is not None and facts.value_grade in spec.value_grades:
        return f"价值等级 value grade {facts.value_grade}"
    return None


def level_change(before: CardLevel, after: CardLevel) -> CardAction | None:
    """Upgrade, downgrade, or None when the level stays."""
    if before is after:
        return None
    return CardAction.UPGRADE if LEVEL_RANK[after] < LEVEL_RANK[before] else CardAction.DOWNGRADE


def reviewed_level(levels: Sequence[LevelSpec], current: CardLevel, facts: SegmentFacts | None) -> LevelDecision:
    """The level a monthly review gives a card: its value's level, or the lowest level when it reaches none.

    A review never cancels a card (cancelling is a staff decision); without a published row it changes nothing.
    """
    if facts is None:
        return LevelDecision(current, "card.level.unchanged", "无已发布的价值数据 / no published value: unchanged")
    decided = level_for(levels, facts)
    if decided is not None:
        return decided
    lowest = levels[-1]
    return LevelDecision(
        lowest.level,
        "card.level.floor",
        f"{facts.month} 未达任何等级，保留最低等级 / below every level: kept at the lowest",
    )


def check_holder(spec: CardKindSpec, holder: CardHolder, role: CardHolderRole, customer_kind: CustomerKind) -> None:
    """A company card is for a decision maker or handler of an organisation; a personal card is a person's own."""
    if holder not in spec.holders:
        allowed = ", ".join(h.value for h in spec.holders)
        raise InvalidInput(
            f"{spec.zh} 只发给 {allowed} 持卡人 / a {spec.en} is issued to {allowed} holders only",
            field="holder",
        )
    if holder is CardHolder.COMPANY:
        if customer_kind is not CustomerKind.ORGANISATION:
            raise InvalidInput("单位卡只发给单位客户 / a company card is for an organisation customer", field="holder")
        if role not in COMPANY_ROLES:
            raise InvalidInput(
                "单位卡须指定决策人或经办人 / a company card names a decision maker or a handler",
                field="holder_role",
            )
    elif customer_kind is not CustomerKind.PERSON or role is not CardHolderRole.SELF:
        raise InvalidInput("个人卡只发给个人客户本人 / a personal card is a person customer's own card", field="holder")
