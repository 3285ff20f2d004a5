"""The model file: one JSON document that scores exactly like the model it came from and refuses foreign frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telcocrm.churn.model_file import ChurnModel
from telcocrm.churn.table import clean_features
from telcocrm.churn.trainer import train_churn_model
from telcocrm.errors import InvalidInput
from tests.churn.test_trainer import operator_table


@pytest.fixture(scope="module")
def trained() -> tuple[ChurnModel, pd.DataFrame]:
    raw = operator_table(1200, seed=4, cities=12)
    y = (raw.pop("churn") == "Yes").to_numpy().astype(np.int8)
    features, _ = clean_features(raw.drop(columns=["phone"]))
    model = train_churn_model(features, y, seed=3, training_window="2025-01..2025-09", horizon_months=3)
    return model, features


def test_round_trip_through_one_json_file_scores_the_same(
    trained: tuple[ChurnModel, pd.DataFrame], tmp_path: Path
) -> None:
    model, features = trained
    model.save(tmp_path / "model.json")
    document = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == ("telcocrm-churn-model", 1)
    assert [f["name"] for f in document["features"]] == ["tenure_months", "arpu", "city", "plan", "complaints"]
    assert document["features"][3]["levels"] == ["basic", "family", "student", "unlimited"]
    assert (document["training_window"], document["horizon_months"]) == ("2025-01..2025-09", 3)
    assert document["metrics"]["cross_validated"]["roc_auc"] > 0.5 and document["rows"]["train"] == 1200
    loaded = ChurnModel.load(tmp_path / "model.json")
    assert np.array_equal(loaded.predict_proba(features), model.predict_proba(features))


def test_contributions_add_up_to_the_raw_score(trained: tuple[ChurnModel, pd.DataFrame]) -> None:
    model, features = trained
    contributions = model.contributions(features.head(50))
    assert list(contributions.columns) == model.feature_names
    summed = contributions.sum(axis=1).to_numpy() + model.base_score()
    assert np.allclose(summed, model.raw_scores(features.head(50)), atol=1e-6)


def test_scores_a_text_frame_as_read_from_csv_like_the_typed_one(trained: tuple[ChurnModel, pd.DataFrame]) -> None:
    model, features = trained
    as_text = features.head(30).astype(object).astype(str).replace("nan", " ")
    assert np.allclose(model.predict_proba(as_text), model.predict_proba(features.head(30)), atol=1e-6)


def test_unseen_levels_score_as_missing(trained: tuple[ChurnModel, pd.DataFrame]) -> None:
    model, features = trained
    rows = features.head(20).copy()
    unseen, missing = rows.copy(), rows.copy()
    unseen["city"] = "city-999"
    missing["city"] = None
    assert np.array_equal(model.predict_proba(unseen), model.predict_proba(missing))


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda f: f.drop(columns=["plan"]), "plan"),
        (lambda f: f.assign(city=np.arange(len(f))), "city"),  # numbers where a category was trained
        (lambda f: f.assign(arpu="high"), "arpu"),  # text where a number was trained
        (lambda f: f.assign(tenure_months=pd.Categorical(["short", "long"] * (len(f) // 2))), "tenure_months"),
    ],
)
def test_refuses_a_frame_that_does_not_match(
    trained: tuple[ChurnModel, pd.DataFrame], change: object, column: str
) -> None:
    model, features = trained
    with pytest.raises(InvalidInput) as refused:
        model.predict_proba(change(features.head(10)))  # type: ignore[operator]
    assert refused.value.field == column and column in refused.value.message


def test_refuses_a_file_of_another_format() -> None:
    with pytest.raises(InvalidInput) as refused:
        ChurnModel.from_json(json.dumps({"format": "pickle"}))
    assert refused.value.field == "format"
