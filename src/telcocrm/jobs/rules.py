"""The monthly rules file: loaded, checked and versioned."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from telcocrm.churn.warning_rules import ChurnRules
from telcocrm.credit.config import CreditRules
from telcocrm.kit.settings_files import load_settings_file
from telcocrm.lifecycle.config import LifecycleRules
from telcocrm.loyalty.config import LoyaltyRules
from telcocrm.segments.config import SegmentRules

DEFAULT_RULES_FILE = Path(__file__).with_name("monthly_rules.toml")


class MonthlyRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    credit: CreditRules = CreditRules()
    segments: SegmentRules = SegmentRules()
    lifecycle: LifecycleRules = LifecycleRules()
    loyalty: LoyaltyRules = LoyaltyRules()
    churn: ChurnRules = ChurnRules()
    digest: str = ""  # first 8 hex digits of the file's SHA-256

    @property
    def rules_version(self) -> str:
        """What every stored result carries: the declared version and the digest of the exact file."""
        return f"{self.version}#{self.digest}"


def rules_file() -> Path:
    return Path(os.environ.get("TELCOCRM_RULES_FILE") or DEFAULT_RULES_FILE)


@cache
def load_rules(path: Path | None = None) -> MonthlyRules:
    """The rules of the file (default: TELCOCRM_RULES_FILE, else the packaged defaults)."""
    return load_settings_file(path or rules_file(), MonthlyRules, field="rules", digest=True)
