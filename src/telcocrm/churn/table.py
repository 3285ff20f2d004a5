"""An operator's own labelled table (CSV or Parquet) read into features, a 0/1 label and ids.

Operators bring wide tables exported from whatever they have: labels spelt Yes/No, "True." or 1/0, numbers
stored as text with blanks, phone numbers as columns. This module turns them into something a model can learn
from, and says what it dropped and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telcocrm.errors import InvalidInput

# Label spellings, compared after trimming spaces and trailing dots and lowering case.
CHURN_WORDS = frozenset({"1", "1.0", "yes", "y", "true", "t", "churn", "churned", "left", "leave", "lost", "gone"})
STAY_WORDS = frozenset({"0", "0.0", "no", "n", "false", "f", "stay", "stayed", "retained", "active", "kept", "remain"})
# A text column whose values are this close to one per row names records (a phone number, a contract id):
# a model could only memorise it.
IDENTIFIER_DISTINCT_SHARE = 0.9
IDENTIFIER_MIN_ROWS = 50
BLANKS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-")
ONE_VALUE = "只有一个取值 / one value only: carries no signal"
CODE_MIN_DIGITS = 6  # a digit-only text this long that is nearly unique is a phone number or an id, not a quantity


@dataclass(frozen=True)
class LabelledTable:
    """Features (numbers and categories), the label as 0/1 (1 = churned) and the row ids if any."""

    features: pd.DataFrame
    label: np.ndarray
    label_name: str
    ids: pd.Series | None = None
    id_column: str | None = None
    dropped: dict[str, str] = field(default_factory=dict)


def read_labelled_table(
    path: Path | str, label: str, id_column: str | None = None, header: bool = True
) -> LabelledTable:
    """Read a CSV or Parquet table and split it into cleaned features, a 0/1 label and ids."""
    frame = read_frame(Path(path), header=header)
    for name in (label, id_column):
        if name is not None and name not in frame.columns:
            shown = ", ".join(map(str, frame.columns[:30]))
            raise InvalidInput(f"表中没有列 {name} / the table has no column {name!r} (columns: {shown})", field=name)
    if label == id_column:
        raise InvalidInput("标签列不能同时是标识列 / the label cannot also be the id column", field=label)
    ids = frame[id_column].reset_index(drop=True) if id_column else None
    features, dropped = clean_features(frame.drop(columns=[c for c in (label, id_column) if c]))
    return LabelledTable(
        features=features,
        label=label_as_binary(frame[label], label),
        label_name=label,
        ids=ids,
        id_column=id_column,
        dropped=dropped,
    )


def read_frame(path: Path, *, header: bool = True) -> pd.DataFrame:
    """The table as pandas; without a header the columns are column_1 … column_N."""
    if not path.exists():
        raise InvalidInput(f"找不到文件 {path} / no such file: {path}", field="table")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        frame = pd.read_parquet(path)
        if not header:
            frame.columns = [f"column_{i}" for i in range(1, frame.shape[1] + 1)]
        return frame
    # Anything else is delimited text, read as text so that cleaning decides what is a number.
    frame = pd.read_csv(
        path, header=0 if header else None, sep=_separator(path), skipinitialspace=True, dtype=str,
        keep_default_na=False,
    )  # fmt: skip
    if not header:
        frame.columns = [f"column_{i}" for i in range(1, frame.shape[1] + 1)]
    return frame


def _separator(path: Path) -> str:
    """Comma unless the first line has more semicolons, tabs or pipes."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    return max([",", ";", "\t", "|"], key=first.count)


def label_as_binary(values: pd.Series, column: str) -> np.ndarray:
    """The label as int8 0/1 (1 = churned); refuses anything but exactly two known classes."""
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 1
        raise InvalidInput(
            f"标签列 {column} 第 {row} 行为空 / label {column!r} is empty in data row {row}", field=column
        )
    words = values.astype(str).str.strip().str.rstrip(".").str.strip().str.lower()
    distinct = set(words.unique())
    if len(distinct) != 2:
        shown = ", ".join(sorted(distinct)[:5])
        raise InvalidInput(
            f"标签列 {column} 应恰有两类 / label {column!r} must have two classes, found {len(distinct)}: {shown}",
            field=column,
        )
    unknown = sorted(distinct - CHURN_WORDS - STAY_WORDS)
    if unknown or distinct <= CHURN_WORDS or distinct <= STAY_WORDS:
        shown = ", ".join(unknown or sorted(distinct))
        raise InvalidInput(
            f"标签列 {column} 的取值无法识别为流失/留存 / label {column!r}: cannot tell churn from stay in {shown}",
            field=column,
        )
    return np.asarray(words.isin(CHURN_WORDS).to_numpy(), dtype=np.int8)


def clean_features(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numbers and text numbers as numbers, other text as categories; identifiers and constants dropped (with why)."""
    cleaned: dict[str, pd.Series] = {}
    dropped: dict[str, str] = {}
    for name in frame.columns:
        column, why = clean_column(frame[name])
        if why:
            dropped[str(name)] = why
        else:
            cleaned[str(name)] = column
    return pd.DataFrame(cleaned, index=frame.index).reset_index(drop=True), dropped


def clean_column(values: pd.Series) -> tuple[pd.Series, str | None]:
    """One column made model-ready, or the reason it cannot be used."""
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(float)
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_timedelta64_dtype(values):
        return values, "日期时间列：请先派生特征 / a date or time: derive features (age, months since) from it first"
    if pd.api.types.is_numeric_dtype(values):
        low, high = values.min(), values.max()
        return values, None if pd.notna(low) and low != high else ONE_VALUE
    return _clean_text(values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category"))


def _clean_text(values: pd.Series) -> tuple[pd.Series, str | None]:
    """Text (as a category, so the work is per distinct value, not per row): a number, a category, or dropped."""
    codes = values.cat.codes.to_numpy()
    raw = pd.Index(values.cat.categories.astype(str)).str.strip()
    blank = np.asarray(raw.isin(BLANKS))
    counts = np.bincount(codes[codes >= 0], minlength=len(raw))
    kept = (counts > 0) & ~blank  # levels that occur and say something
    present = int(counts[kept].sum())
    texts = pd.Series(raw[kept], dtype=object).astype(str)
    if _looks_like_code(texts, present):
        return values, "近乎每行一个的数字编码（如电话号码）/ identifier-like: digit codes (a phone number, an id)"
    numbers = np.array(pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce"), dtype=np.float64)
    numbers[blank] = np.nan
    if not np.isnan(numbers[kept]).any():
        column = pd.Series(np.where(codes >= 0, numbers[np.maximum(codes, 0)], np.nan), index=values.index)
        return column, None if column.nunique() > 1 else ONE_VALUE
    names = np.unique(texts.to_numpy(dtype=object)).astype(object)
    lookup = pd.Index(names, dtype=object).get_indexer(raw)  # blanks are not among the names: they become missing
    new_codes = np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1)
    category = pd.Series(pd.Categorical.from_codes(new_codes, categories=names), index=values.index)
    if len(names) <= 1:
        return category, ONE_VALUE
    if _looks_like_identifier(len(names), present):
        why = f"近乎每行一个取值 / identifier-like: {len(names)} distinct values in {present} rows"
        return category, why
    return category, None


def _looks_like_code(texts: pd.Series, present: int) -> bool:
    """Digits only, at least CODE_MIN_DIGITS of them, nearly one per row: numbers by their look, names by their use."""
    if texts.empty or not texts.str.fullmatch(r"\d+").all():
        return False
    return bool(texts.str.len().median() >= CODE_MIN_DIGITS) and _looks_like_identifier(texts.nunique(), present)


def _looks_like_identifier(distinct: int, rows: int) -> bool:
    return rows >= IDENTIFIER_MIN_ROWS and distinct >= IDENTIFIER_DISTINCT_SHARE * rows
