"""Settings of the monthly churn model: src/telcocrm/churn/model.toml (defaults and reasons documented there).

How lines are labelled and validated (training), how scores and reasons are produced in the monthly run (scoring),
and the reason book that turns a feature's contribution into business words.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.analytics import schemas
from telcocrm.kit.settings_files import load_settings_file
from telcocrm.models.enums import ChurnSignal

MODEL_SETTINGS_FILE = Path(__file__).with_name("model.toml")
SIGNALS = tuple(signal.value for signal in ChurnSignal)


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Training(_Settings):
    horizon_months: int = Field(3, ge=1, le=12)
    training_months: int = Field(9, ge=1, le=36)
    test_months: int = Field(1, ge=1, le=6)
    excluded_features: tuple[str, ...] = ("month", "subscriber_id", "customer_code", "terminated_in_month")

    def model_features(self) -> list[str]:
        """The subscriber features the model reads, in the schema's order."""
        return [name for name in schemas.SUBSCRIBER_FEATURES.names if name not in self.excluded_features]


class Scoring(_Settings):
    reasons_min_probability: float = Field(0.10, ge=0, le=1)
    reasons_min_contribution: float = Field(0.05, ge=0)
    reasons_per_line: int = Field(3, ge=1, le=10)
    batch_rows: int = Field(131_072, ge=1024)


class Reason(_Settings):
    """How a feature reads when it pushes a line's risk up: {value}, {value_cny} (fen shown as CNY), {fall}.

    `text_missing` is read when the line has no value for the feature; without it the value shows as "-".
    """

    feature: str
    signal: str | None = None
    text: str
    text_fall: str | None = None
    text_missing: str | None = None  # when the line has no value (no contract, no handset change on record …)

    @model_validator(mode="after")
    def _known(self) -> Self:
        if self.feature not in schemas.SUBSCRIBER_FEATURES.names:
            raise ValueError(f"reason for unknown feature {self.feature!r}")
        if self.signal is not None and self.signal not in SIGNALS:
            raise ValueError(f"reason {self.feature}: unknown signal {self.signal!r} (one of {', '.join(SIGNALS)})")
        return self


class ChurnModelSettings(_Settings):
    version: str
    training: Training = Training()
    scoring: Scoring = Scoring()
    reasons: tuple[Reason, ...] = ()

    def reason_book(self) -> dict[str, Reason]:
        """Reasons by feature."""
        return {reason.feature: reason for reason in self.reasons}


@cache
def load_model_settings(path: Path = MODEL_SETTINGS_FILE) -> ChurnModelSettings:
    """The settings of the file (default: the packaged model.toml); refused whole when any entry is wrong."""
    return load_settings_file(path, ChurnModelSettings, field="churn_model")
