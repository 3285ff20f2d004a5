"""Reason codes: a line's strongest feature contributions to its churn risk, read in business words.

The model gives each feature's contribution to a line's raw score (TreeSHAP, log-odds). The features pushing the
risk up the most, above a floor, become the line's reasons through the reason book (model.toml [[reasons]]):
"ARPU较前3月均值下降42% / ARPU fell 42% against the three months before". The line's top signal is the churn signal
of its strongest reason that stands for one, so retention can answer it with a measure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telcocrm.churn.monthly_config import Reason
from telcocrm.kit.money import cny

REASON_SEPARATOR = " | "


@dataclass(frozen=True)
class Explanation:
    top_signal: str | None
    reasons: list[str]


def explain_lines(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    book: Mapping[str, Reason],
    *,
    limit: int,
    min_contribution: float,
) -> list[Explanation]:
    """One explanation per row: up to `limit` reasons, strongest first, and the top signal."""
    names = list(contributions.columns)
    matrix = contributions.to_numpy(dtype=np.float64)
    order = np.argsort(-matrix, axis=1, kind="stable")
    explanations = []
    for row, ranked in enumerate(order):
        pushing = [names[i] for i in ranked if matrix[row, i] >= min_contribution]
        line = values.iloc[row]
        texts = [read_reason(feature, line[feature], book) for feature in pushing[:limit]]
        signal = next((book[f].signal for f in pushing if f in book and book[f].signal), None)
        explanations.append(Explanation(top_signal=signal, reasons=texts))
    return explanations


def read_reason(feature: str, value: object, book: Mapping[str, Reason]) -> str:
    """The feature and the line's value in business words (the book's text, else `feature: value`)."""
    shown = _shown(value)
    reason = book.get(feature)
    if reason is None:
        return f"{feature}: {shown}"
    number = _number(value)
    if reason.text_missing and shown == "-":
        return reason.text_missing
    if reason.text_fall and number is not None and number < 0:
        return reason.text_fall.format(fall=_shown(-number), value=shown)
    value_cny = cny(int(number)) if number is not None else "-"
    return reason.text.format(value=shown, value_cny=value_cny)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    return None if math.isnan(float(value)) else float(value)


def _shown(value: object) -> str:
    """Whole numbers without a decimal point (pandas holds nullable integers as floats), null as "-"."""
    if value is None or value is pd.NA:
        return "-"
    number = _number(value)
    if number is None:
        return str(value)
    return str(int(number)) if number.is_integer() else f"{number:.2f}"
