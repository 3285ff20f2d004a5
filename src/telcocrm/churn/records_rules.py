"""Pure rules of the churn database: the default classification of a survey reason, the signals its save offers
answer, and who counts for win-back (settings in src/telcocrm/churn/records.toml, documented in docs/rules.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.kit.months import add_months
from telcocrm.kit.settings_files import load_settings_file
from telcocrm.models.enums import ChurnControllability, ChurnDestination, ChurnReason, ChurnSignal, ChurnUrgency

RECORDS_RULES_FILE = Path(__file__).with_name("records.toml")
VALUE_TIERS = ("high", "mid", "low")


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonRule(_Rules):
    controllability: ChurnControllability
    urgency: ChurnUrgency
    signals: tuple[ChurnSignal, ...] = ()


class WinBackRule(_Rules):
    months: int = Field(3, ge=1, le=24)
    destinations: tuple[ChurnDestination, ...] = (ChurnDestination.COMPETITOR, ChurnDestination.UNKNOWN)
    value_tiers: tuple[str, ...] = ("high", "mid")
    controllability: tuple[ChurnControllability, ...] = (
        ChurnControllability.INTERNAL_EASY,
        ChurnControllability.EXTERNAL_CONTROLLABLE,
    )

    @model_validator(mode="after")
    def _known_tiers(self) -> Self:
        if set(self.value_tiers) - set(VALUE_TIERS):
            raise ValueError(f"value_tiers must be among {list(VALUE_TIERS)}")
        return self


class RecordsRules(_Rules):
    version: str
    reasons: dict[ChurnReason, ReasonRule]
    win_back: WinBackRule = WinBackRule()
    digest: str = ""

    @model_validator(mode="after")
    def _every_reason(self) -> Self:
        missing = sorted(set(ChurnReason) - set(self.reasons))
        if missing:
            raise ValueError(f"reasons without a classification: {missing}")
        return self


@cache
def load_records_rules(path: Path = RECORDS_RULES_FILE) -> RecordsRules:
    """The churn database settings of the file (default: the packaged records.toml)."""
    return load_settings_file(path, RecordsRules, field="records_rules", digest=True)


@dataclass(frozen=True)
class Classification:
    controllability: ChurnControllability | None
    urgency: ChurnUrgency | None


def classify(
    reason: ChurnReason | None,
    rules: RecordsRules,
    *,
    controllability: ChurnControllability | None = None,
    urgency: ChurnUrgency | None = None,
) -> Classification:
    """The classification of a reason: what staff gave, else the reason's defaults; nothing without a reason."""
    if reason is None:
        return Classification(controllability, urgency)
    rule = rules.reasons[reason]
    return Classification(controllability or rule.controllability, urgency or rule.urgency)


def signals_for(reason: ChurnReason | None, rules: RecordsRules) -> tuple[ChurnSignal, ...]:
    """The churn signals whose retention measures answer a survey reason (none: measures for any signal)."""
    return rules.reasons[reason].signals if reason is not None else ()


def win_back_since(as_of_month: str, rule: WinBackRule) -> str:
    """The earliest leaving month on the win-back list of `as_of_month` (which counts as the first)."""
    return add_months(as_of_month, 1 - rule.months)


def counts_for_win_back(
    *,
    month_left: str,
    as_of_month: str,
    destination: ChurnDestination,
    value_tier: str | None,
    controllability: ChurnControllability | None,
    won_back: bool,
    rule: WinBackRule,
) -> bool:
    """Whether a churned line belongs on the win-back list (the same test the repository runs in SQL)."""
    return (
        win_back_since(as_of_month, rule) <= month_left <= as_of_month
        and destination in rule.destinations
        and value_tier in rule.value_tiers
        and controllability in rule.controllability
        and not won_back
    )
