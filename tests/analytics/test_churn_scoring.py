"""Churn scoring inside the run: every line still in the network scored, ranked in deciles, the likely leavers
explained; DuckDB and Spark (the model shipped to the executors) give the same scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from telcocrm.analytics import schemas
from telcocrm.analytics.backends import Engine, connect, map_batches, write_parquet
from telcocrm.churn.model_file import Calibration, ChurnModel, FeatureSpec
from telcocrm.churn.monthly_config import load_model_settings
from telcocrm.churn.scoring import ChurnScorer, lines_to_score, with_risk_deciles
from telcocrm.errors import InvalidInput

LINES = 4000
CATEGORIES = {"product": ["mobile", "broadband", "e8"], "brand": ["gotone", "easyown"], "payment_method": ["cash"],
              "account_type": ["individual"], "subscriber_status": ["active", "suspended"]}  # fmt: skip


def features_table(seed: int = 3) -> pa.Table:
    """Lines whose chance of leaving rises with suspensions and an ARPU fall; a few left already this month."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for field in schemas.SUBSCRIBER_FEATURES:
        if field.name in CATEGORIES:
            columns[field.name] = rng.choice(CATEGORIES[field.name], LINES).tolist()
        elif pa.types.is_integer(field.type):
            columns[field.name] = rng.integers(0, 200, LINES)
    columns["suspensions_3m"] = rng.poisson(0.3, LINES)
    columns["arpu_change_3m_pct"] = rng.integers(-90, 40, LINES)
    columns |= {"month": ["2026-10"] * LINES, "subscriber_id": [f"S{i:06d}" for i in range(LINES)],
                "customer_code": [f"C{i // 2:06d}" for i in range(LINES)],
                "terminated_in_month": (np.arange(LINES) % 50 == 0).tolist()}  # fmt: skip
    return pa.Table.from_pydict(columns).select(schemas.SUBSCRIBER_FEATURES.names).cast(schemas.SUBSCRIBER_FEATURES)


def trained_model(table: pa.Table) -> ChurnModel:
    """A small real LightGBM model on the table (the trainer's search is tested elsewhere)."""
    names = load_model_settings().training.model_features()
    specs = tuple(
        FeatureSpec(n, "category", tuple(sorted(CATEGORIES[n]))) if n in CATEGORIES else FeatureSpec(n, "numeric")
        for n in names
    )
    model = ChurnModel(booster_text="", features=specs, calibration=Calibration())
    frame = table.to_pandas()
    risk = 0.8 * frame["suspensions_3m"] - 0.03 * frame["arpu_change_3m_pct"] - 3
    label = (np.random.default_rng(1).random(LINES) < 1 / (1 + np.exp(-risk))).astype(int)
    data = lgb.Dataset(model.check(frame), label, categorical_feature=[i for i, s in enumerate(specs) if s.levels])
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "deterministic": True, "num_threads": 1}
    model.booster_text = lgb.train(params, data, num_boost_round=30).model_to_string()
    return model


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("scoring")
    table = features_table()
    pq.write_table(table, folder / "subscriber_features.parquet")
    return folder, trained_model(table).to_json()


def score(engine: Engine, folder: Path, model_text: str, out: Path) -> pa.Table:
    scorer = ChurnScorer(model_text, load_model_settings())
    with connect(engine) as con:
        features = con.read_parquet(str(folder / "subscriber_features.parquet"))
        map_batches(
            con, lines_to_score(features, scorer.model), scorer, out / "scored.parquet", schemas.CHURN_SCORES, 1024
        )
        ranked = with_risk_deciles(con.read_parquet(str(out / "scored.parquet")))
        write_parquet(con, ranked, out / "churn_scores.parquet", schemas.CHURN_SCORES)
    return pq.read_table(out / "churn_scores.parquet").sort_by("subscriber_id")


def test_every_line_still_in_the_network_is_scored_ranked_and_the_likely_leavers_explained(
    month: tuple[Path, str], tmp_path: Path
) -> None:
    folder, model_text = month
    scores = score(Engine.DUCKDB, folder, model_text, tmp_path)
    assert scores.num_rows == LINES - LINES // 50, "lines that left in the month are not scored"
    probability = np.asarray(scores["churn_probability"])
    assert probability.min() > 0 and probability.max() < 1
    deciles = pc.value_counts(scores["risk_decile"]).to_pylist()
    assert sorted(d["values"] for d in deciles) == list(range(1, 11))
    assert max(d["counts"] for d in deciles) - min(d["counts"] for d in deciles) <= 1
    top = scores.filter(pc.equal(scores["risk_decile"], 1))
    rest = scores.filter(pc.greater(scores["risk_decile"], 1))
    assert pc.min(top["churn_probability"]).as_py() >= pc.max(rest["churn_probability"]).as_py()
    assert top["reasons"].null_count == 0, "the riskiest lines all carry reasons"
    reasons = " ".join(top["reasons"].to_pylist())
    assert "停机" in reasons and "ARPU" in reasons, "the signals the model learned read as business words"
    assert set(top["top_signal"].to_pylist()) >= {"suspension", "arpu_drop"}
    unlikely = scores.filter(
        pc.less(scores["churn_probability"], load_model_settings().scoring.reasons_min_probability)
    )
    assert unlikely["reasons"].null_count == unlikely.num_rows, "reasons are worked out only for likely leavers"


def test_a_model_that_reads_a_feature_the_month_lacks_is_refused_by_name(month: tuple[Path, str]) -> None:
    folder, model_text = month
    scorer = ChurnScorer(model_text, load_model_settings())
    with connect(Engine.DUCKDB) as con:
        features = con.read_parquet(str(folder / "subscriber_features.parquet")).drop("suspensions_3m")
        with pytest.raises(InvalidInput) as refused:
            lines_to_score(features, scorer.model)
    assert refused.value.field == "suspensions_3m"


@pytest.mark.spark
def test_spark_scores_on_its_executors_exactly_as_duckdb_does(month: tuple[Path, str], tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    folder, model_text = month
    (tmp_path / "duckdb").mkdir()
    (tmp_path / "spark").mkdir()
    on_duckdb = score(Engine.DUCKDB, folder, model_text, tmp_path / "duckdb")
    on_spark = score(Engine.SPARK, folder, model_text, tmp_path / "spark")
    assert on_spark.num_rows == on_duckdb.num_rows
    for column in schemas.CHURN_SCORES.names:
        assert on_spark[column].equals(on_duckdb[column]), f"churn_scores.{column} differs between engines"
