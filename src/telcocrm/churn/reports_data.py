"""The churn model's quality over time, from the run's own results, and the published model's out-of-time figures.

For every month M with scores (churn_scores) whose horizon has passed (the features of M+1 … M+N are in the store,
N = model.toml training.horizon_months): the scored lines, the mean predicted probability, the share of them that
left within N months (terminated in one of M+1 … M+N, the label the model is trained on), and the top-decile
capture of the model and of the warning rules at the same contact volume — the round(10 %) of scored lines each
ranks riskiest (ties by line id, as in training), and the share of all leavers among them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn.metrics import TOP_DECILE
from telcocrm.churn.reports import FEATURES, existing, present, query
from telcocrm.churn.scoring import model_version
from telcocrm.kit.months import add_months


@dataclass(frozen=True)
class MonthQuality:
    """Predicted against actual churn of one scored month."""

    month: str
    lines: int
    left: int
    mean_probability: float
    model_left_in_top: int
    rules_left_in_top: int | None  # None when the month has no warning rules file

    @property
    def actual_rate(self) -> float:
        """The share of scored lines that left within the horizon."""
        return self.left / self.lines if self.lines else 0.0

    @property
    def model_capture(self) -> float | None:
        """The share of leavers among the model's riskiest tenth; None when nobody left."""
        return self.model_left_in_top / self.left if self.left else None

    @property
    def rules_capture(self) -> float | None:
        """The share of leavers among the rules' riskiest tenth; None when nobody left or no rules file."""
        return self.rules_left_in_top / self.left if self.left and self.rules_left_in_top is not None else None


def model_quality_by_month(store: AnalyticsStore, horizon: int) -> list[MonthQuality]:
    """Every scored month whose horizon has passed, oldest first."""
    months = store.months("results")
    with_features = set(m for m in months if present(store, m, FEATURES))
    found = []
    for month in months:
        later = [add_months(month, k) for k in range(1, horizon + 1)]
        scores = present(store, month, "churn_scores")
        if scores is None or not with_features.issuperset(later):
            continue
        quality = _month_quality(
            month, scores, existing(store, later, FEATURES), present(store, month, "churn_warnings")
        )
        if quality is not None:
            found.append(quality)
    return found


def _month_quality(month: str, scores: str, later: list[str], warnings: str | None) -> MonthQuality | None:
    params: dict[str, Any] = {"scores": scores, "later": later, "share": TOP_DECILE}
    rules_score = "0"
    joins = ""
    if warnings is not None:
        params["warnings"] = warnings
        joins = (
            " LEFT JOIN (SELECT subscriber_id, max(warning_score) AS ws FROM read_parquet($warnings) GROUP BY 1) w"
            " USING (subscriber_id)"
        )
        rules_score = "coalesce(w.ws, 0)"
    # round_even is Python's round(), so the contact volume is the one churn.metrics.capture_at uses in training.
    (row,) = query(
        f"""
        WITH gone AS (SELECT DISTINCT subscriber_id FROM read_parquet($later) WHERE terminated_in_month),
        scored AS (
            SELECT s.subscriber_id, s.churn_probability AS p, gone.subscriber_id IS NOT NULL AS left_,
                   {rules_score} AS ws
            FROM read_parquet($scores) s LEFT JOIN gone USING (subscriber_id){joins}
        ),
        ranked AS (
            SELECT *, count(*) OVER () AS n,
                   row_number() OVER (ORDER BY p DESC NULLS LAST, subscriber_id) AS model_rank,
                   row_number() OVER (ORDER BY ws DESC, subscriber_id) AS rules_rank
            FROM scored
        )
        SELECT count(*), count(*) FILTER (WHERE left_), avg(p),
               count(*) FILTER (WHERE left_ AND model_rank <= greatest(1, round_even($share * n, 0))),
               count(*) FILTER (WHERE left_ AND rules_rank <= greatest(1, round_even($share * n, 0)))
        FROM ranked
        """,
        params,
    )
    lines, left, mean, model_top, rules_top = row
    if not lines:
        return None
    return MonthQuality(month, lines, left, float(mean or 0.0), model_top, rules_top if warnings else None)


@dataclass(frozen=True)
class PublishedQuality:
    """What the published model file says of itself: tested out of time, beside the rules."""

    version: str
    training_window: str
    horizon_months: int | None
    trained_at: str
    out_of_time: dict[str, Any]
    rules_top_decile_capture: float | None


def published_quality(path: Path) -> PublishedQuality | None:
    """The figures of the published model file, or None when there is none (or it is not a model file)."""
    try:
        text = path.read_text(encoding="utf-8")
        body = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("metrics"), dict):
        return None
    metrics = body["metrics"]
    rules = metrics.get("rules_out_of_time") or {}
    return PublishedQuality(
        version=model_version(text),
        training_window=str(body.get("training_window") or ""),
        horizon_months=body.get("horizon_months"),
        trained_at=str(body.get("trained_at") or ""),
        out_of_time=dict(metrics.get("out_of_time") or {}),
        rules_top_decile_capture=rules.get("top_decile_capture"),
    )
