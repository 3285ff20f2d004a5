"""Train a calibrated LightGBM churn model on any labelled frame, choosing its own settings on the training rows.

A handful of candidates (trainer.toml: tree size, learning rate, leaf size, regularisation) are compared by
stratified k-fold cross-validation with early stopping; variants for many-level categories and for rare churn
are tried on the best one. The winner is refitted on every training row with its cross-validated number of
rounds and calibrated by Platt scaling on its out-of-fold scores. See docs/churn-model.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, train_test_split

from telcocrm import __version__
from telcocrm.churn.metrics import score_metrics
from telcocrm.churn.model_file import Calibration, ChurnModel, FeatureSpec, encode_column
from telcocrm.churn.table import clean_column
from telcocrm.errors import InvalidInput

if TYPE_CHECKING:
    import lightgbm as lgb

SETTINGS_FILE = Path(__file__).with_name("trainer.toml")
Say = Callable[[str], None]


@dataclass(frozen=True)
class Trial:
    """One candidate's cross-validated result: mean AUC, rounds at its best, and its out-of-fold raw scores."""

    name: str
    params: dict[str, Any]
    auc: float
    rounds: int
    out_of_fold: np.ndarray


def load_search_settings(path: Path = SETTINGS_FILE) -> dict[str, Any]:
    """The [search] table of trainer.toml."""
    with path.open("rb") as handle:
        return dict(tomllib.load(handle)["search"])


def train_churn_model(
    frame: pd.DataFrame,
    label: np.ndarray | pd.Series,
    *,
    seed: int = 42,
    training_window: str | None = None,
    label_name: str = "churned",
    id_column: str | None = None,
    horizon_months: int | None = None,
    dropped: Mapping[str, str] | None = None,
    say: Say | None = None,
) -> ChurnModel:
    """Search settings by cross-validation on these rows, refit on all of them, calibrate; the model file's content."""
    say = say or (lambda _: None)
    settings = load_search_settings()
    y = _binary_label(label, len(frame))
    scoring_threads = int(settings["threads"])
    if len(y) < settings["small_rows"]:
        settings["threads"] = settings["threads_small"]
    matrix, specs, cleaning_dropped = training_matrix(frame)
    say(f"{len(y):,} rows, {len(specs)} features, churn rate {y.mean():.2%}")
    search_rows = _search_rows(y, settings, seed)
    if len(search_rows) < len(y):
        settings.update(large=True, max_rounds=settings["large_max_rounds"])
    searched = matrix if len(search_rows) == len(y) else matrix[search_rows]
    best = search(searched, y[search_rows], specs, settings, seed=seed, say=say)
    del searched
    calibration, validated = _calibrated(best, y[search_rows])
    say(f"refit on {len(y):,} rows, {best.rounds} rounds ({best.name})")
    booster = _fit(matrix, y, specs, best.params, best.rounds)
    return ChurnModel(
        booster_text=booster.model_to_string(),
        features=specs,
        calibration=calibration,
        label_name=label_name,
        id_column=id_column,
        training_window=training_window,
        horizon_months=horizon_months,
        dropped={**(dropped or {}), **cleaning_dropped},
        metrics={"cross_validated": validated},
        settings={"candidate": best.name, "rounds": best.rounds, "seed": seed, **_public(best.params)},
        rows={"train": len(y), "churners": int(y.sum()), "search": len(search_rows)},
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        telcocrm_version=__version__,
        threads=scoring_threads,
    )


def _calibrated(best: Trial, y: np.ndarray) -> tuple[Calibration, dict[str, float]]:
    """Platt scaling on the winner's out-of-fold scores, and the figures of the calibrated out-of-fold scores."""
    # Out-of-fold scores exist for every searched row (k folds) or for the held-out fifth (a large table's holdout).
    held = ~np.isnan(best.out_of_fold)
    calibration = platt(best.out_of_fold[held], y[held])
    return calibration, score_metrics(y[held], calibration.apply(best.out_of_fold[held]))


def training_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, tuple[FeatureSpec, ...], dict[str, str]]:
    """The frame cleaned column by column into a float32 matrix, its feature specs and the columns dropped (why)."""
    # One column at a time into a preallocated matrix: a cleaned copy of a 12M-row frame would not fit.
    matrix = np.empty((len(frame), frame.shape[1]), dtype=np.float32, order="F")
    specs: list[FeatureSpec] = []
    dropped: dict[str, str] = {}
    for name in frame.columns:
        column, why = clean_column(frame[name])
        if why:
            dropped[str(name)] = why
            continue
        spec = feature_spec(str(name), column)
        matrix[:, len(specs)] = encode_column(column, spec)
        specs.append(spec)
    if not specs:
        raise InvalidInput("没有可用的特征列 / no usable feature column is left", field="features")
    return matrix[:, : len(specs)], tuple(specs), dropped


def feature_spec(name: str, column: pd.Series) -> FeatureSpec:
    """A cleaned column as a number, or a category whose levels are those seen in these rows, sorted."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels = sorted(str(v) for v in column.cat.remove_unused_categories().cat.categories)
        return FeatureSpec(name=name, kind="category", levels=tuple(levels))
    return FeatureSpec(name=name, kind="numeric")


def search(
    matrix: np.ndarray, y: np.ndarray, specs: tuple[FeatureSpec, ...], settings: dict[str, Any], *, seed: int, say: Say
) -> Trial:
    """The best candidate by cross-validated AUC; then the many-levels and rare-churn variants of it, if they apply."""
    folds = _folds(y, settings, seed)
    base = _base_params(settings, seed)
    best: Trial | None = None
    for candidate in settings["candidate"]:
        params = {**base, **{k: v for k, v in candidate.items() if k != "name"}}
        if settings.get("large"):
            params["learning_rate"] = max(params["learning_rate"], float(settings["large_min_learning_rate"]))
        best = _better(best, _cross_validate(candidate["name"], params, matrix, y, specs, folds, settings, say))
    assert best is not None
    for name, extra in _variants(y, specs, settings):
        params = {**best.params, **extra}
        best = _better(best, _cross_validate(f"{best.name}+{name}", params, matrix, y, specs, folds, settings, say))
    return best


def platt(raw: np.ndarray, y: np.ndarray) -> Calibration:
    """Platt scaling fitted on out-of-fold raw scores: monotone, so ranking (and AUC) is untouched."""
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return Calibration(slope=float(fit.coef_[0, 0]), intercept=float(fit.intercept_[0]))


def _variants(
    y: np.ndarray, specs: tuple[FeatureSpec, ...], settings: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    variants = []
    if any(len(spec.levels) > settings["high_cardinality_levels"] for spec in specs):
        variants.append(("smoothed-categories", dict(settings["high_cardinality"])))
    rate = float(y.mean())
    if rate < settings["imbalance_below_rate"]:
        # Weighting churners up gives their rare splits more gradient; Platt scaling on out-of-fold scores then
        # maps the inflated scores back to real rates, so calibration survives.
        weight = min(float(np.sqrt((1 - rate) / rate)), float(settings["max_positive_weight"]))
        variants.append(("weighted", {"scale_pos_weight": round(weight, 3)}))
    return variants


def _cross_validate(
    name: str,
    params: dict[str, Any],
    matrix: np.ndarray,
    y: np.ndarray,
    specs: tuple[FeatureSpec, ...],
    folds: list[tuple[np.ndarray, np.ndarray]],
    settings: dict[str, Any],
    say: Say,
) -> Trial:
    import lightgbm as lgb  # after model_file set OMP_WAIT_POLICY

    result = lgb.cv(
        params,
        _dataset(matrix, y, specs, params),
        num_boost_round=int(settings["max_rounds"]),
        folds=folds,
        callbacks=[lgb.early_stopping(int(settings["early_stopping_rounds"]), verbose=False)],
        return_cvbooster=True,
    )
    booster = result["cvbooster"]
    assert isinstance(booster, lgb.CVBooster)
    rounds = int(booster.best_iteration)
    out_of_fold = np.full(len(y), np.nan)
    for (_, valid), fold_booster in zip(folds, booster.boosters, strict=True):
        out_of_fold[valid] = fold_booster.predict(matrix[valid], num_iteration=rounds, raw_score=True)
    curve = result["valid auc-mean"]
    assert isinstance(curve, list)
    auc = float(curve[rounds - 1])
    say(f"candidate {name}: cross-validated AUC {auc:.4f} at {rounds} rounds")
    return Trial(name=name, params=params, auc=auc, rounds=rounds, out_of_fold=out_of_fold)


def _better(best: Trial | None, trial: Trial) -> Trial:
    # A candidate must beat the best so far by a ten-thousandth: ties keep the earlier, smaller trees.
    return trial if best is None or trial.auc > best.auc + 1e-4 else best


def _fit(
    matrix: np.ndarray, y: np.ndarray, specs: tuple[FeatureSpec, ...], params: dict[str, Any], rounds: int
) -> lgb.Booster:
    import lightgbm as lgb

    return lgb.train(params, _dataset(matrix, y, specs, params), num_boost_round=rounds)


def _dataset(matrix: np.ndarray, y: np.ndarray, specs: tuple[FeatureSpec, ...], params: dict[str, Any]) -> lgb.Dataset:
    categories = [j for j, spec in enumerate(specs) if spec.kind == "category"]
    import lightgbm as lgb

    return lgb.Dataset(
        matrix,
        label=y,
        feature_name=[_lgb_name(j) for j in range(len(specs))],
        categorical_feature=categories,
        params={"verbosity": -1, "min_data_in_leaf": params["min_child_samples"], "seed": params["seed"]},
        free_raw_data=True,
    )


def _lgb_name(j: int) -> str:
    # LightGBM forbids some characters in names (JSON specials); the model file keeps the real names in order.
    return f"f{j}"


def _base_params(settings: dict[str, Any], seed: int) -> dict[str, Any]:
    return {
        "objective": "binary",
        "metric": "auc",
        "verbosity": -1,
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": int(settings["threads"]),
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
    }


def _public(params: dict[str, Any]) -> dict[str, Any]:
    hidden = {"objective", "metric", "verbosity", "deterministic", "force_col_wise", "num_threads", "seed"}
    return {key: value for key, value in params.items() if key not in hidden}


def _search_rows(y: np.ndarray, settings: dict[str, Any], seed: int) -> np.ndarray:
    """Every row, or on a large table a stratified sample of them."""
    rows = np.arange(len(y))
    if len(y) <= settings["sample_above_rows"]:
        return rows
    sample, _ = train_test_split(rows, train_size=int(settings["sample_rows"]), stratify=y, random_state=seed)
    return np.sort(sample)


def _folds(y: np.ndarray, settings: dict[str, Any], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    wanted = settings["folds_large"] if settings.get("large") else settings["folds"]
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2:
        raise InvalidInput(f"流失或留存样本太少 / only {minority} rows of the rarer class", field="label")
    if wanted == 1:  # one stratified holdout: on a large sample its fifth is plenty and k fits cost k times more
        holdout = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
        return list(holdout.split(np.zeros(len(y)), y))
    splitter = StratifiedKFold(n_splits=min(int(wanted), minority), shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def _binary_label(label: np.ndarray | pd.Series, rows: int) -> np.ndarray:
    y = np.asarray(label)
    if y.shape != (rows,):
        raise InvalidInput(f"标签有 {y.size} 个，特征有 {rows} 行 / {y.size} labels for {rows} rows", field="label")
    if not np.isin(y, [0, 1]).all():
        raise InvalidInput("标签须为 0/1 / the label must be 0 or 1 (1 = churned)", field="label")
    return y.astype(np.int8)
