"""`telcocrm churn train | evaluate | score` as an analyst runs them on a table of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from telcocrm.cli import app
from tests.churn.test_trainer import operator_table

runner = CliRunner()


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("churn") / "operator.csv"
    operator_table(900, seed=8, cities=10).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model(table: Path) -> Path:
    path = table.with_name("model.json")
    trained = runner.invoke(app, ["churn", "train", "--table", str(table), "--label", "churn", "--id", "phone",
                                  "--out", str(path)])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "cross-validated" in trained.stdout and "roc_auc" in trained.stdout
    return path


def test_evaluate_json_prints_one_object_and_nothing_else(table: Path) -> None:
    args = ["churn", "evaluate", "--table", str(table), "--label", "churn", "--id", "phone", "--test-size", "0.25"]
    done = subprocess.run(
        [sys.executable, "-m", "telcocrm.cli", *args, "--seed", "4", "--json"],
        env=os.environ | {"TELCOCRM_ENVIRONMENT": "test"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)  # fails if anything else reached stdout
    assert (figures["n_train"], figures["n_test"]) == (675, 225)
    assert {"roc_auc", "pr_auc", "top_decile_lift", "top_decile_capture"} <= set(figures)
    assert 0.5 < figures["roc_auc"] <= 1 and figures["top_decile_capture"] == pytest.approx(
        figures["top_decile_lift"] / 10
    )
    assert "candidate" in done.stderr  # the search's progress went to stderr


def test_evaluate_writes_a_report_with_roc_and_lift_charts(table: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    args = ["churn", "evaluate", "--table", str(table), "--label", "churn", "--train-rows", "600"]
    done = runner.invoke(app, [*args, "--report", str(report)])
    assert done.exit_code == 0, done.output
    assert "95% interval" in done.stdout and "calibration" in done.stdout
    html = report.read_text(encoding="utf-8")
    assert 'data-testid="churn-roc"' in html and 'data-testid="churn-lift"' in html
    assert "trained on 600 rows" in html and "phone" in html  # the dropped column is named with its reason


def test_train_then_score_writes_ids_probabilities_and_top_features(table: Path, model: Path, tmp_path: Path) -> None:
    scored_path = tmp_path / "scored.parquet"
    scored = runner.invoke(app, ["churn", "score", "--table", str(table), "--model", str(model), "--out",
                                 str(scored_path)])  # fmt: skip
    assert scored.exit_code == 0, scored.output
    result = pd.read_parquet(scored_path)
    source = pd.read_csv(table, dtype=str)
    assert list(result.columns) == ["phone", "probability", "feature_1", "feature_2", "feature_3"]
    assert result["phone"].tolist() == source["phone"].tolist()
    assert result["probability"].between(0, 1).all()
    assert set(result["feature_1"]) <= {"tenure_months", "arpu", "city", "plan", "complaints"}
    riskiest = result.nlargest(len(result) // 10, "probability")
    assert (source.loc[riskiest.index, "churn"] == "Yes").mean() > (source["churn"] == "Yes").mean()


def test_score_refuses_a_table_without_a_model_column(table: Path, model: Path, tmp_path: Path) -> None:
    narrow = tmp_path / "narrow.csv"
    pd.read_csv(table).drop(columns=["plan"]).to_csv(narrow, index=False)
    refused = runner.invoke(app, ["churn", "score", "--table", str(narrow), "--model", str(model), "--out",
                                  str(tmp_path / "s.csv")])  # fmt: skip
    assert refused.exit_code == 2
    assert "plan" in refused.stderr and not (tmp_path / "s.csv").exists()
