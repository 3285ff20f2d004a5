"""The retention cost cap (brief §8, seed 001 维系挽留成本决策) and the retention rules file (retention.toml).

    n   = min(max(group_size, 1), max_group_size)
    cap = min(ARPU × revenue_share_pct × expected_months // 100, ACPU(product) × n) × tier_factor_pct // 100

in integer fen, floors at each `//` (the Ibis mart marts/retention.py computes the very same). Why: docs/retention.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.churn.measures import RetentionMeasure, Stage
from telcocrm.errors import InvalidInput
from telcocrm.kit.settings_files import load_settings_file
from telcocrm.models.enums import Product, RetentionPhase

RETENTION_RULES_FILE = Path(__file__).with_name("retention.toml")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CostCapRules(_Data):
    """Parameters of the cap formula (defaults: docs/retention.md)."""

    revenue_share_pct: int = Field(20, ge=0, le=100)
    expected_months: int = Field(12, ge=1, le=120)
    max_group_size: int = Field(50, ge=1)
    tier_factor_pct: dict[str, int] = Field(default_factory=lambda: {"high": 100, "mid": 60, "low": 30})
    default_acpu_fen: int = Field(20000, ge=0)

    @model_validator(mode="after")
    def _every_tier(self) -> CostCapRules:
        tiers = set(self.tier_factor_pct)
        if tiers != {"high", "mid", "low"} or any(not 0 <= pct <= 100 for pct in self.tier_factor_pct.values()):
            raise ValueError(
                f"cost_cap.tier_factor_pct: exactly high, mid and low, each 0–100; got {self.tier_factor_pct}"
            )
        return self


class Recommend(_Data):
    """Which measures a warned customer may be recommended, in order of preference."""

    phases: tuple[RetentionPhase, ...] = (RetentionPhase.SAVE, RetentionPhase.MAINTENANCE)
    priority: tuple[str, ...] = Field(min_length=1)


class RetentionRules(_Data):
    """The whole retention.toml."""

    version: str
    cost_cap: CostCapRules = CostCapRules()
    acpu_fen: dict[Product, int] = {}
    recommend: Recommend
    phases: dict[Stage, RetentionPhase]
    measures: tuple[RetentionMeasure, ...] = Field(min_length=1)
    digest: str = ""  # first 8 hex digits of the file's SHA-256

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRules:
        codes = [m.code for m in self.measures]
        if len(set(codes)) != len(codes):
            raise ValueError(f"measures: codes must be distinct, got {sorted(c for c in codes if codes.count(c) > 1)}")
        by_code = {m.code: m for m in self.measures}
        for code in self.recommend.priority:
            chosen = by_code.get(code)
            if chosen is None or chosen.phase not in self.recommend.phases or not chosen.offered:
                raise ValueError(f"recommend.priority: {code} is not an offered measure of {self.recommend.phases}")
        return self

    @property
    def rules_version(self) -> str:
        """What every stored result carries: the declared version and the digest of the exact file."""
        return f"{self.version}#{self.digest}"

    def acpu(self, product: str | None) -> int:
        """Acquisition cost of one line of the product (the default for an unlisted or unknown product)."""
        listed = {p.value: fen for p, fen in self.acpu_fen.items()}
        return listed.get(product or "", self.cost_cap.default_acpu_fen)


@cache
def load_retention_rules(path: Path = RETENTION_RULES_FILE) -> RetentionRules:
    """The retention rules of the file (default: the packaged retention.toml)."""
    return load_settings_file(path, RetentionRules, field="retention_rules", digest=True)


def members(group_size: int, rules: RetentionRules) -> int:
    """n of the formula: the customer's group members, at least 1, at most max_group_size."""
    return min(max(group_size, 1), rules.cost_cap.max_group_size)


def retention_cost_cap(
    *, arpu_fen: int, value_tier: str, group_size: int, product: str | None, rules: RetentionRules
) -> int:
    """The most, in fen, the operator spends to keep this customer (0 for a customer without revenue)."""
    params = rules.cost_cap
    factor = params.tier_factor_pct.get(value_tier)
    if factor is None:
        raise InvalidInput(f"unknown value tier {value_tier!r} (high, mid or low)", field="value_tier")
    revenue_bound = max(arpu_fen, 0) * params.revenue_share_pct * params.expected_months // 100
    acquisition_bound = rules.acpu(product) * members(group_size, rules)
    return min(revenue_bound, acquisition_bound) * factor // 100
