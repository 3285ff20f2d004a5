"""Scoring inside the monthly run: every line still in the network gets its churn probability, risk decile and, when
it is likely enough to leave, its reasons in business words.

The scorer is a plain callable over Arrow batches, so the engine decides where it runs (analytics/backends.py
map_batches): in this process on DuckDB, on Spark's executors — it travels as the model's JSON text and each
executor process rebuilds the booster once. The decile needs every line's probability, so it is a second, Ibis
step over the scored file (NTILE on both engines).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from telcocrm.analytics import schemas
from telcocrm.churn.model_file import ChurnModel
from telcocrm.churn.monthly_config import ChurnModelSettings
from telcocrm.churn.reasons import REASON_SEPARATOR, explain_lines
from telcocrm.errors import InvalidInput

SCORED = schemas.CHURN_SCORES


def model_version(model_text: str) -> str:
    """A short fingerprint of the model file: scores name the exact model that made them."""
    return hashlib.sha256(model_text.encode("utf-8")).hexdigest()[:12]


def lines_to_score(features: ir.Table, model: ChurnModel) -> ir.Table:
    """The month's lines still in the network at its end, with the columns the model reads."""
    missing = [name for name in model.feature_names if name not in features.columns]
    if missing:
        raise InvalidInput(
            f"模型需要的特征不在本月数据中 / the model reads features the month does not have: {', '.join(missing)}",
            field=missing[0],
        )
    staying = features.filter(~features.terminated_in_month & (features.subscriber_status != "terminated"))
    return staying.select("month", "subscriber_id", "customer_code", *model.feature_names)


class ChurnScorer:
    """Scores a batch of lines_to_score rows into CHURN_SCORES rows (risk_decile still 0)."""

    def __init__(self, model_text: str, settings: ChurnModelSettings) -> None:
        self.model_text = model_text
        self.settings = settings
        self.version = model_version(model_text)
        self._model: ChurnModel | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Spark ships the scorer to its executors: the text travels, the booster is rebuilt there once.
        return {**self.__dict__, "_model": None}

    @property
    def model(self) -> ChurnModel:
        if self._model is None:
            self._model = ChurnModel.from_json(self.model_text)
        return self._model

    def check(self, features: pa.Schema) -> None:
        """Refuses a month whose features do not match the model (names, numbers against categories)."""
        self.model.check(features.empty_table().to_pandas()[self.model.feature_names])

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        frame = batch.to_pandas()
        inputs = frame[self.model.feature_names]
        probability = self.model.predict_proba(inputs)
        signals: list[str | None] = [None] * len(frame)
        reasons: list[str | None] = [None] * len(frame)
        scoring = self.settings.scoring
        warned = np.flatnonzero(probability >= scoring.reasons_min_probability)
        if warned.size:
            explained = explain_lines(
                self.model.contributions(inputs.iloc[warned]),
                inputs.iloc[warned],
                self.settings.reason_book(),
                limit=scoring.reasons_per_line,
                min_contribution=scoring.reasons_min_contribution,
            )
            for row, explanation in zip(warned, explained, strict=True):
                signals[row] = explanation.top_signal
                reasons[row] = REASON_SEPARATOR.join(explanation.reasons) or None
        return _scored_batch(frame, probability, signals, reasons, self.version)


def _scored_batch(
    frame: pd.DataFrame, probability: np.ndarray, signals: list[str | None], reasons: list[str | None], version: str
) -> pa.RecordBatch:
    count = len(frame)
    columns = {
        "month": pa.array(frame["month"].astype(object), pa.string()),
        "subscriber_id": pa.array(frame["subscriber_id"].astype(object), pa.string()),
        "customer_code": pa.array(frame["customer_code"].astype(object), pa.string()),
        "churn_probability": pa.array(probability, pa.float64()),
        "risk_decile": pa.array(np.zeros(count, dtype=np.int64)),
        "top_signal": pa.array(signals, pa.string()),
        "reasons": pa.array(reasons, pa.string()),
        "model_version": pa.array([version] * count, pa.string()),
    }
    return pa.RecordBatch.from_pydict(columns, schema=SCORED)


def with_risk_deciles(scored: ir.Table) -> ir.Table:
    """Decile 1 holds the tenth of lines most likely to leave (ties by line id, so both engines agree)."""
    order = [ibis.desc(scored.churn_probability), scored.subscriber_id]
    decile = (ibis.ntile(10).over(order_by=order) + 1).cast("int64")
    return scored.mutate(risk_decile=decile).select(*SCORED.names)


def published_model_path(data_dir: Path) -> Path:
    """Where `telcocrm churn train-monthly --publish` puts the model the monthly run scores with."""
    return data_dir / "models" / "churn" / "published.json"
