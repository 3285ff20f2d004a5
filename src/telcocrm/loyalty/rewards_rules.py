"""Rules of rewards as pure functions: who may redeem a reward, when, and what it costs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from telcocrm.loyalty.cards_rules import SegmentFacts


@dataclass(frozen=True)
class RewardTerms:
    """What a redemption checks of a reward (empty eligibility list: anyone)."""

    code: str
    active: bool
    points_price: int
    segments: Sequence[str]
    value_tiers: Sequence[str]
    card_levels: Sequence[str]
    stock: int | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Refusal:
    """Why a customer may not redeem a reward: the field at fault and a message (Chinese / English)."""

    field: str
    message: str


def points_for(terms: RewardTerms, quantity: int) -> int:
    """Points a redemption of `quantity` units costs."""
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, got {quantity}")
    return terms.points_price * quantity


def refusal(
    terms: RewardTerms, facts: SegmentFacts | None, card_levels: Collection[str], on: date, quantity: int = 1
) -> Refusal | None:
    """The first reason the reward cannot be redeemed on a day, or None: validity, eligibility, stock."""
    return _validity(terms, on) or _eligibility(terms, facts, card_levels) or _stock(terms, quantity)


def _validity(terms: RewardTerms, on: date) -> Refusal | None:
    if not terms.active:
        return Refusal("active", f"奖品 {terms.code} 已下架 / reward {terms.code} is withdrawn")
    if on < terms.valid_from or (terms.valid_to is not None and on > terms.valid_to):
        until = terms.valid_to.isoformat() if terms.valid_to else "—"
        return Refusal(
            "valid_from",
            f"奖品 {terms.code} 兑换期 {terms.valid_from}…{until}，今天 {on} 不在期内 / "
            f"reward {terms.code} is redeemable {terms.valid_from}…{until}, not on {on}",
        )
    return None


def _eligibility(terms: RewardTerms, facts: SegmentFacts | None, card_levels: Collection[str]) -> Refusal | None:
    if terms.segments and (facts is None or facts.segment not in terms.segments):
        held = facts.segment if facts else "未评定 / not assessed"
        return Refusal(
            "segments",
            f"奖品 {terms.code} 仅限客户群 {', '.join(terms.segments)}，客户为 {held} / "
            f"reward {terms.code} is for segments {', '.join(terms.segments)} only, the customer is {held}",
        )
    if terms.value_tiers and (facts is None or facts.value_tier not in terms.value_tiers):
        return Refusal(
            "value_tiers",
            f"奖品 {terms.code} 仅限价值层 {', '.join(terms.value_tiers)} / "
            f"reward {terms.code} is for value tiers {', '.join(terms.value_tiers)} only",
        )
    if terms.card_levels and not set(terms.card_levels) & set(card_levels):
        return Refusal(
            "card_levels",
            f"奖品 {terms.code} 须持 {', '.join(terms.card_levels)} 级百事通卡 / "
            f"reward {terms.code} needs an active card of level {', '.join(terms.card_levels)}",
        )
    return None


def _stock(terms: RewardTerms, quantity: int) -> Refusal | None:
    if terms.stock is not None and terms.stock < quantity:
        return Refusal(
            "stock",
            f"奖品 {terms.code} 库存 {terms.stock}，不足 {quantity} / reward {terms.code} has {terms.stock} left, "
            f"{quantity} wanted",
        )
    return None
