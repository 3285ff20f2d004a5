"""Train, validate out of time and publish the monthly churn model (`telcocrm churn train-monthly`).

The model learns from the older labelled months and is tested on the newest ones it never saw, against the warning
rules at the same contact volume (the tenth of lines each ranks riskiest): the figures go into the model file, and
the published file is the one the monthly run scores with.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn.metrics import TOP_DECILE, capture_at, score_metrics
from telcocrm.churn.model_file import ChurnModel
from telcocrm.churn.monthly_config import ChurnModelSettings, load_model_settings
from telcocrm.churn.monthly_training import TrainingWindow, label_array, labelled_lines, training_window
from telcocrm.churn.scoring import model_version, published_model_path
from telcocrm.jobs.rules import MonthlyRules, load_rules

Say = Callable[[str], None]


@dataclass(frozen=True)
class MonthlyModel:
    model: ChurnModel
    window: TrainingWindow
    out_of_time: dict[str, float]  # the model on the test months
    rules_top_decile_capture: float  # the warning rules ranking the same lines, same contact volume

    @property
    def version(self) -> str:
        return model_version(self.model.to_json())


def train_monthly_model(
    store: AnalyticsStore,
    *,
    through: str | None = None,
    seed: int = 42,
    settings: ChurnModelSettings | None = None,
    rules: MonthlyRules | None = None,
    say: Say | None = None,
) -> MonthlyModel:
    """Learn from the older labelled months of the store, test on the newest, record both in the model."""
    say = say or (lambda _: None)
    settings = settings or load_model_settings()
    window = training_window(store.months("results"), settings.training, through)
    features = settings.training.model_features()
    horizon = settings.training.horizon_months
    say(f"labelling lines: {window.describe()}")
    train = labelled_lines(store, window.train_months, horizon, features)
    say(f"training on {len(train):,} line-months ({int(train['left'].sum()):,} left)")
    model = train_churn_model_on(train, features, window, seed, say)
    del train
    test = labelled_lines(store, window.test_months, horizon, features)
    y = label_array(test)
    out_of_time = score_metrics(y, model.predict_proba(test[features]))
    rules_capture = capture_at(y, _rules_scores(store, test, rules or load_rules()), TOP_DECILE)
    model.metrics["out_of_time"] = {**out_of_time, "months": window.test_months, "lines": len(test)}
    model.metrics["rules_out_of_time"] = {"top_decile_capture": rules_capture}
    return MonthlyModel(model, window, out_of_time, rules_capture)


def train_churn_model_on(
    lines: pd.DataFrame, features: list[str], window: TrainingWindow, seed: int, say: Say
) -> ChurnModel:
    """The trainer on labelled lines (its own search, refit and calibration)."""
    from telcocrm.churn.trainer import train_churn_model

    return train_churn_model(
        lines[features],
        label_array(lines),
        seed=seed,
        training_window=window.describe(),
        label_name=f"left_within_{window.horizon}_months",
        id_column="subscriber_id",
        horizon_months=window.horizon,
        say=say,
    )


def _rules_scores(store: AnalyticsStore, lines: pd.DataFrame, rules: MonthlyRules) -> np.ndarray[Any, Any]:
    """Each test line's warning score by the month's warning rules (0 when none fires)."""
    from telcocrm.analytics import schemas
    from telcocrm.analytics.backends import Engine, connect, read_parquet
    from telcocrm.analytics.marts.churn_warnings import churn_warnings

    months = sorted(lines["month"].unique())
    with connect(Engine.DUCKDB) as con:
        features = read_parquet(
            con, [store.result_path(m, "subscriber_features") for m in months], schemas.SUBSCRIBER_FEATURES
        )
        warnings = churn_warnings(features, rules.churn).select("month", "subscriber_id", "warning_score")
        scored = con.to_pyarrow(warnings).to_pandas()
    merged = lines[["month", "subscriber_id"]].merge(scored, on=["month", "subscriber_id"], how="left")
    scores: np.ndarray[Any, Any] = merged["warning_score"].fillna(0).to_numpy(dtype=np.float64)
    return scores


def publish_model(model: ChurnModel, data_dir: Path) -> Path:
    """The model becomes the one the monthly run scores with (the previous file is kept beside it)."""
    target = published_model_path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.copy2(target, target.with_name("previous.json"))
    staged = target.with_suffix(".tmp")
    model.save(staged)
    staged.replace(target)  # readers see the old file or the new one, never half of one
    return target
