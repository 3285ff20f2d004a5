"""Score quality in a retention team's measures, checked on scores whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from telcocrm.churn.metrics import (
    bootstrap_intervals,
    calibration_table,
    capture_at,
    lift_table,
    score_metrics,
)
from telcocrm.errors import InvalidInput


def test_perfect_ranking_catches_every_churner_in_the_top_decile() -> None:
    y = np.array([1] * 10 + [0] * 90)
    score = np.linspace(1.0, 0.0, 100)
    metrics = score_metrics(y, score)
    assert metrics["roc_auc"] == 1.0 and metrics["pr_auc"] == pytest.approx(1.0)
    assert metrics["top_decile_capture"] == 1.0 and metrics["top_decile_lift"] == pytest.approx(10.0)
    assert metrics["base_rate"] == 0.1


def test_capture_at_a_contact_volume() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    assert capture_at(y, score, 0.3) == pytest.approx(2 / 3)  # contacting 3 of 10 reaches 2 of the 3 churners
    assert capture_at(y, score, 1.0) == 1.0


def test_lift_table_by_decile_adds_up() -> None:
    rng = np.random.default_rng(0)
    score = rng.random(1000)
    y = (rng.random(1000) < score * 0.4).astype(int)
    table = lift_table(y, score)
    assert [row["decile"] for row in table] == list(range(1, 11))
    assert sum(row["churners"] for row in table) == y.sum() and table[-1]["cumulative_capture"] == 1.0
    assert table[0]["lift"] > 1.5 > 0.5 > table[-1]["lift"]  # the risk really rises with the score


def test_calibration_table_and_brier_see_a_miscalibrated_score() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(5000) * 0.5
    y = (rng.random(5000) < p).astype(int)
    honest, doubled = calibration_table(y, p), calibration_table(y, np.minimum(p * 2, 1))
    assert all(abs(row["predicted"] - row["observed"]) < 0.05 for row in honest)
    assert doubled[-1]["predicted"] > doubled[-1]["observed"] + 0.3
    assert score_metrics(y, p)["brier"] < score_metrics(y, np.minimum(p * 2, 1))["brier"]


def test_bootstrap_intervals_hold_the_estimate_and_narrow_with_more_rows() -> None:
    rng = np.random.default_rng(2)

    def width(rows: int) -> float:
        p = rng.random(rows)
        y = (rng.random(rows) < p).astype(int)
        low, high = bootstrap_intervals(y, p, rounds=60, seed=3)["roc_auc"]
        assert low <= score_metrics(y, p)["roc_auc"] <= high
        return high - low

    assert width(4000) < width(250)


def test_refuses_one_class_or_mismatched_lengths() -> None:
    with pytest.raises(InvalidInput):
        score_metrics(np.zeros(5), np.random.default_rng(0).random(5))
    with pytest.raises(InvalidInput):
        capture_at(np.array([0, 1]), np.array([0.1, 0.2, 0.3]), 0.1)
