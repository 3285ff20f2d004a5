"""Conditions and reason templates of data-driven rules (lifecycle nodes, churn warning rules): one way to test them.

A condition compares a feature with a constant (`feature op value`, lifecycle.config.Condition); a null feature
never meets a condition. A reason template names features in braces, each replaced by the line's value ("-" when
null). Comparisons are on integers, booleans and codes only, so DuckDB and Spark decide alike.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from telcocrm.lifecycle.config import Condition


def with_derived_features(features: ir.Table) -> ir.Table:
    """SUBSCRIBER_FEATURES plus the derived features conditions may name (lifecycle.config.DERIVED_FEATURES)."""
    previous = features.arpu_prev_3m_fen
    return features.mutate(
        arpu_3m_vs_prev_pct=ibis.ifelse(
            previous > 0, ((features.arpu_3m_fen - previous) * 100) // previous, ibis.null("int64")
        ),
        arpu_3m_cny=features.arpu_3m_fen // 100,
    )


def fires(t: ir.Table, conditions: Iterable[Condition]) -> ir.BooleanValue:
    """All the conditions hold (null counts as not holding); no condition at all always fires."""
    result: ir.BooleanValue = ibis.literal(True)
    for condition in conditions:
        result = result & holds(t[condition.feature], condition).fill_null(False)
    return result


def holds(value: ir.Value, condition: Condition) -> ir.BooleanValue:
    """`value op threshold` of one condition (null when the value is null)."""
    threshold = condition.value
    comparisons = {
        "<": lambda: value < threshold,
        "<=": lambda: value <= threshold,
        ">": lambda: value > threshold,
        ">=": lambda: value >= threshold,
        "==": lambda: value == threshold,
        "!=": lambda: value != threshold,
    }
    result: ir.BooleanValue = comparisons[condition.op]()
    return result


def reason(t: ir.Table, template: str) -> ir.StringValue:
    """The template with each {feature} replaced by the line's value ("-" when null)."""
    text: ir.StringValue = ibis.literal("")
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            text = text + literal
        if name is not None:
            text = text + t[name].cast("string").fill_null("-")
    return text


def template_fields(template: str) -> list[str]:
    """The feature names a reason template shows."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
