"""The lifecycle stage of each line (brief §8, seed 001): identification → growth → stable → warning, the sunk
point of lines that never grew, and `left` for lines terminated in the month (outside the five stages: the line is
gone, it is reported so the month's churners keep a row).

The decision tree is data (LifecycleRules.nodes): the first node whose conditions all hold decides the stage, its
rule is `lifecycle.<node id>` and its reason the node's template filled with the line's values. Conditions compare
integers, booleans and codes only, so DuckDB and Spark decide alike; a null feature never meets a condition.
"""

from __future__ import annotations

import string

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.lifecycle.config import Condition, LifecycleRules, Node


def lifecycle_stages(features: ir.Table, rules: LifecycleRules) -> ir.Table:
    """Stage, rule and reason of every line of the month (schemas.LIFECYCLE)."""
    previous = features.arpu_prev_3m_fen
    t = features.mutate(
        arpu_3m_vs_prev_pct=ibis.ifelse(
            previous > 0, ((features.arpu_3m_fen - previous) * 100) // previous, ibis.null("int64")
        ),
        arpu_3m_cny=features.arpu_3m_fen // 100,
    )
    t = t.mutate(
        _node=ibis.cases(
            *[(_fires(t, node), index) for index, node in enumerate(rules.nodes[:-1])], else_=len(rules.nodes) - 1
        )
    )
    by_node = list(enumerate(rules.nodes))
    return t.select(
        "subscriber_id",
        lifecycle_stage=ibis.cases(*[(t["_node"] == i, node.stage) for i, node in by_node]),
        lifecycle_rule=ibis.cases(*[(t["_node"] == i, f"lifecycle.{node.id}") for i, node in by_node]),
        lifecycle_reason=ibis.cases(*[(t["_node"] == i, _reason(t, node.reason)) for i, node in by_node]),
    ).select(*schemas.LIFECYCLE.names)


def _fires(t: ir.Table, node: Node) -> ir.BooleanValue:
    """All the node's conditions hold (null counts as not holding)."""
    fires: ir.BooleanValue = ibis.literal(True)
    for condition in node.when:
        fires = fires & _holds(t[condition.feature], condition).fill_null(False)
    return fires


def _holds(value: ir.Value, condition: Condition) -> ir.BooleanValue:
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


def _reason(t: ir.Table, template: str) -> ir.StringValue:
    """The template with each {feature} replaced by the line's value ("-" when null)."""
    text: ir.StringValue = ibis.literal("")
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            text = text + literal
        if name is not None:
            text = text + t[name].cast("string").fill_null("-")
    return text
