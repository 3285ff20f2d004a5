"""The trained churn model as one JSON file: LightGBM's text, how to encode each feature, calibration, provenance.

No pickle: the file is plain text anyone can read, diff and load on a Spark executor without our classes'
history. Scoring encodes a frame exactly as training did (feature order, category levels) and refuses a frame
that does not match, because LightGBM scores garbage silently otherwise.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from telcocrm.errors import InvalidInput

if TYPE_CHECKING:
    import lightgbm as lgb

# LightGBM's OpenMP threads spin while they wait (libgomp's default): with another process on the same 2 cores a
# round took 1,004 ms on two threads against 79 ms on one. Passive waiting fixes that and costs nothing on an idle
# machine. It must be set before libgomp loads, hence here, with LightGBM imported lazily.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

FORMAT = "telcocrm-churn-model"
FORMAT_VERSION = 1
BLANKS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-")


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: its name, whether it is a number or a category, and the category levels in code order."""

    name: str
    kind: Literal["numeric", "category"]
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the raw score: probability = 1 / (1 + exp(-(slope × raw + intercept)))."""

    slope: float = 1.0
    intercept: float = 0.0
    method: str = "platt"

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw (log-odds) scores."""
        return 1.0 / (1.0 + np.exp(-(self.slope * raw + self.intercept)))


@dataclass(eq=False)
class ChurnModel:
    """A trained churn model: scores frames, explains scores, and round-trips through one JSON file."""

    booster_text: str
    features: tuple[FeatureSpec, ...]
    calibration: Calibration
    label_name: str = "churned"
    id_column: str | None = None
    training_window: str | None = None
    horizon_months: int | None = None
    dropped: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    trained_at: str = ""
    telcocrm_version: str = ""
    threads: int = 2
    _booster: lgb.Booster | None = field(default=None, init=False, repr=False)

    @property
    def feature_names(self) -> list[str]:
        """The model's inputs in the order LightGBM expects them."""
        return [spec.name for spec in self.features]

    @property
    def booster(self) -> lgb.Booster:
        """LightGBM's booster, rebuilt from the text once per process."""
        if self._booster is None:
            import lightgbm as lgb  # lazily: after OMP_WAIT_POLICY above

            self._booster = lgb.Booster(model_str=self.booster_text)
        return self._booster

    def check(self, frame: pd.DataFrame) -> np.ndarray:
        """The frame encoded as the model's input matrix; refuses a frame that does not match the model."""
        return encode(frame, self.features)

    def raw_scores(self, frame: pd.DataFrame) -> np.ndarray:
        """Log-odds scores before calibration."""
        return np.asarray(self.booster.predict(self.check(frame), raw_score=True, num_threads=self.threads))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probabilities, one per row."""
        return self.calibration.apply(self.raw_scores(frame))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-feature TreeSHAP contributions to the raw score (columns = feature names; the rest is the base)."""
        matrix = np.asarray(self.booster.predict(self.check(frame), pred_contrib=True, num_threads=self.threads))
        return pd.DataFrame(matrix[:, :-1], columns=self.feature_names, index=frame.index)

    def base_score(self) -> float:
        """The raw score every row starts from before feature contributions (TreeSHAP's expected value)."""
        zero = np.zeros((1, len(self.features)), dtype=np.float32)
        return float(np.asarray(self.booster.predict(zero, pred_contrib=True, num_threads=1))[0, -1])

    def to_json(self) -> str:
        """The whole model as one JSON document."""
        body = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        body["calibration"] = asdict(self.calibration)
        body["features"] = [{"name": s.name, "kind": s.kind, "levels": list(s.levels)} for s in self.features]
        return json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **body}, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> ChurnModel:
        """Rebuild a model from to_json's text; refuses another format or a newer version."""
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"模型文件不是 JSON / the model file is not JSON: {exc}", field="format") from exc
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise InvalidInput(f"不是流失模型文件 / not a {FORMAT} file", field="format")
        if body.get("version") != FORMAT_VERSION:
            raise InvalidInput(f"模型文件版本 {body.get('version')} 不受支持 / unsupported version", field="version")
        body.pop("format"), body.pop("version")
        try:
            body["features"] = tuple(
                FeatureSpec(name=f["name"], kind=f["kind"], levels=tuple(f["levels"])) for f in body["features"]
            )
            body["calibration"] = Calibration(**body["calibration"])
            return cls(**body)
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"模型文件不完整 / the model file is incomplete: {exc}", field="format") from exc

    def save(self, path: Path | str) -> None:
        """Write the model file (UTF-8 JSON)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> ChurnModel:
        """Read a model file written by save."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def encode(frame: pd.DataFrame, features: tuple[FeatureSpec, ...]) -> np.ndarray:
    """A float32 matrix in feature order: numbers as they are, categories as level codes, unseen levels missing."""
    missing = [spec.name for spec in features if spec.name not in frame.columns]
    if missing:
        raise InvalidInput(f"缺少模型所需的列 {missing[0]} / the frame lacks column {missing[0]!r}", field=missing[0])
    # Column-major: each column is written in one piece and LightGBM reads the layout without a copy.
    matrix = np.empty((len(frame), len(features)), dtype=np.float32, order="F")
    for j, spec in enumerate(features):
        matrix[:, j] = encode_column(frame[spec.name], spec)
    return matrix


def encode_column(values: pd.Series, spec: FeatureSpec) -> np.ndarray:
    """One column as float32 model input: a number, or the category's level code (missing when unseen)."""
    return _category_codes(values, spec) if spec.kind == "category" else _numbers(values, spec.name)


def _numbers(values: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return np.asarray(values.to_numpy(dtype=np.float32, na_value=np.nan), dtype=np.float32)
    # Text or categories of numbers (a CSV read as text, training's text numbers): parsed per distinct value.
    category = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    levels = pd.Index(category.cat.categories.astype(str)).str.strip()
    parsed = np.array(pd.to_numeric(pd.Series(levels, dtype=object), errors="coerce"), dtype=np.float32)
    parsed[np.asarray(levels.isin(BLANKS))] = np.nan
    codes = category.cat.codes.to_numpy()
    bad = np.flatnonzero(np.isnan(parsed) & ~np.asarray(levels.isin(BLANKS)))
    if np.isin(codes, bad).any():
        example = levels[bad[np.isin(bad, codes)][0]]
        raise InvalidInput(
            f"列 {name} 训练时为数值，却有 {example!r} / column {name!r} was numeric in training, has {example!r}",
            field=name,
        )
    return np.where(codes >= 0, parsed[np.maximum(codes, 0)], np.float32(np.nan)).astype(np.float32)


def _category_codes(values: pd.Series, spec: FeatureSpec) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.notna().any():
        raise InvalidInput(
            f"列 {spec.name} 训练时为类别，现为数值 / column {spec.name!r} was a category in training, now numbers",
            field=spec.name,
        )
    levels = pd.Index(spec.levels, dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = levels.get_indexer(values.cat.categories.astype(str).str.strip())
        codes = values.cat.codes.to_numpy()
        found = np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1)
    else:
        found = levels.get_indexer(values.astype("string").str.strip().astype(object))
    # Unseen levels and blanks score as missing: LightGBM sends them down the missing-value branch.
    return np.where(found >= 0, found, np.nan).astype(np.float32)
