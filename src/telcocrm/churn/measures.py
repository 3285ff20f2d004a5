"""The retention measures catalogue (retention.toml [[measures]], seed 001 codes PM001…DA004) and what fits a cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.errors import InvalidInput, NotFound
from telcocrm.kit.money import cny
from telcocrm.models.enums import ChurnSignal, RetentionPhase

if TYPE_CHECKING:
    from telcocrm.churn.cost_cap import RetentionRules

ValueTier = Literal["high", "mid", "low"]
Stage = Literal["identification", "growth", "stable", "warning", "sunk", "left"]
# The code's first letter is the phase: P prevention, R maintenance (维系), D save (挽留).
_PHASE_OF_LETTER = {"P": RetentionPhase.PREVENTION, "R": RetentionPhase.MAINTENANCE, "D": RetentionPhase.SAVE}


class RetentionMeasure(BaseModel):
    """A measure: phase, names, target (signals, value tiers, stages), cost per customer and description."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^(PM|PS|PA|RM|RS|RA|DM|DS|DA)\d{3}$")
    phase: RetentionPhase
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    signals: tuple[ChurnSignal, ...] = ()
    value_tiers: tuple[ValueTier, ...] = ()
    stages: tuple[Stage, ...] = ()
    cost_fen: int = Field(ge=0)
    offered: bool = True
    description: str = ""

    @model_validator(mode="after")
    def _phase_matches_code(self) -> RetentionMeasure:
        if _PHASE_OF_LETTER[self.code[0]] is not self.phase:
            raise ValueError(f"measure {self.code}: phase {self.phase.value} contradicts its code")
        return self

    def suits(self, *, signal: str | None, value_tier: str, lifecycle_stage: str) -> bool:
        """Answers the signal (any when None) and targets the value tier and the lifecycle stage."""
        answers = signal is None or signal in self.signals
        return answers and value_tier in self.value_tiers and lifecycle_stage in self.stages


def offers_within_cap(
    rules: RetentionRules,
    *,
    signal: str | None,
    value_tier: str,
    lifecycle_stage: str,
    cap_fen: int,
    phase: str = "save",
) -> list[RetentionMeasure]:
    """Measures staff may offer in the phase that suit the customer and cost no more than the cap, cheapest first."""
    fitting = [
        m
        for m in rules.measures
        if m.offered
        and m.phase == phase
        and m.cost_fen <= cap_fen
        and m.suits(signal=signal, value_tier=value_tier, lifecycle_stage=lifecycle_stage)
    ]
    return sorted(fitting, key=lambda m: (m.cost_fen, m.code))


def measure(rules: RetentionRules, code: str) -> RetentionMeasure:
    """The catalogue's measure with that code."""
    for candidate in rules.measures:
        if candidate.code == code:
            return candidate
    raise NotFound(f"没有挽留措施 {code} / no retention measure {code}", field="measure_code", record=code)


def check_offer(rules: RetentionRules, measure_code: str, cap_fen: int) -> RetentionMeasure:
    """The measure, if its cost is within the customer's retention cost cap; refused (InvalidInput) otherwise."""
    chosen = measure(rules, measure_code)
    if not chosen.offered:
        raise InvalidInput(
            f"{chosen.code} {chosen.name_zh}是内部管理措施，不能作为优惠提供 / {chosen.code} {chosen.name_en} is an "
            "internal process, not an offer",
            field="measure_code",
            record=chosen.code,
        )
    if chosen.cost_fen > cap_fen:
        cost, cap = cny(chosen.cost_fen), cny(cap_fen)
        raise InvalidInput(
            f"{chosen.code} {chosen.name_zh}费用{cost}元，超过该客户挽留成本上限{cap}元，拒绝 / {chosen.code} "
            f"{chosen.name_en} costs {cost} CNY, above the customer's retention cost cap of {cap} CNY: refused",
            field="measure_code",
            record=chosen.code,
        )
    return chosen
