"""How good a churn score is, in a retention team's measures: ranking, capture at a contact volume, calibration."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve

from telcocrm.errors import InvalidInput

TOP_DECILE = 0.10


def score_metrics(y_true: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, top-decile lift and capture, Brier score and the base rate of one scored set."""
    y, p = _checked(y_true, probability)
    capture = capture_at(y, p, TOP_DECILE)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "top_decile_lift": capture / TOP_DECILE,
        "top_decile_capture": capture,
        "brier": float(brier_score_loss(y, np.clip(p, 0.0, 1.0))),
        "base_rate": float(y.mean()),
    }


def capture_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    """The share of all churners among the `share` of rows with the highest scores (ties broken by row order)."""
    y, score = _checked(y, score)
    contacted = max(1, round(share * len(y)))
    top = np.argsort(-score, kind="stable")[:contacted]
    return float(y[top].sum() / y.sum())


def lift_table(y: np.ndarray, score: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per decile of score, highest first: rows, churners, churn rate, lift and cumulative capture."""
    y, score = _checked(y, score)
    order = np.argsort(-score, kind="stable")
    base, total, seen = y.mean(), y.sum(), 0
    rows = []
    for n, part in enumerate(np.array_split(order, bins), start=1):
        churners = int(y[part].sum())
        seen += churners
        rate = churners / max(len(part), 1)
        rows.append(
            {
                "decile": n,
                "rows": len(part),
                "churners": churners,
                "churn_rate": rate,
                "lift": rate / base,
                "cumulative_capture": seen / total,
            }
        )
    return rows


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Rows in equal-count bins of predicted probability: mean predicted against observed churn rate."""
    y, p = _checked(y, probability)
    order = np.argsort(p, kind="stable")
    return [
        {
            "bin": n,
            "rows": len(part),
            "predicted": float(p[part].mean()),
            "observed": float(y[part].mean()),
            "low": float(p[part].min()),
            "high": float(p[part].max()),
        }
        for n, part in enumerate(np.array_split(order, bins), start=1)
        if len(part)
    ]


def bootstrap_intervals(
    y: np.ndarray, probability: np.ndarray, rounds: int = 200, seed: int = 42
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of every score_metrics figure, resampling rows with replacement."""
    y, p = _checked(y, probability)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(rounds):
        pick = rng.integers(0, len(y), len(y))
        if y[pick].min() == y[pick].max():
            continue  # a resample with one class has no AUC; rare unless the set is tiny
        for name, value in score_metrics(y[pick], p[pick]).items():
            draws.setdefault(name, []).append(value)
    return {name: (float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))) for name, v in draws.items()}


def roc_points(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates along the ROC curve."""
    y, score = _checked(y, score)
    fpr, tpr, _ = roc_curve(y, score)
    return fpr, tpr


def _checked(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, score = np.asarray(y).astype(np.int8), np.asarray(score, dtype=np.float64)
    if y.shape != score.shape:
        raise InvalidInput(f"标签与得分行数不同 / {len(y)} labels for {len(score)} scores", field="probability")
    if y.size == 0 or y.min() == y.max():
        raise InvalidInput("需要流失与留存两类 / both churners and stayers are needed", field="label")
    return y, score
