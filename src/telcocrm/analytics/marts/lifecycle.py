"""The lifecycle stage of each line (brief §8, seed 001): identification → growth → stable → warning, the sunk
point of lines that never grew, and `left` for lines terminated in the month (outside the five stages: the line is
gone, it is reported so the month's churners keep a row).

The decision tree is data (LifecycleRules.nodes): the first node whose conditions all hold decides the stage, its
rule is `lifecycle.<node id>` and its reason the node's template filled with the line's values. Conditions compare
integers, booleans and codes only, so DuckDB and Spark decide alike; a null feature never meets a condition.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.conditions import fires, reason, with_derived_features
from telcocrm.lifecycle.config import LifecycleRules


def lifecycle_stages(features: ir.Table, rules: LifecycleRules) -> ir.Table:
    """Stage, rule and reason of every line of the month (schemas.LIFECYCLE)."""
    t = with_derived_features(features)
    t = t.mutate(
        _node=ibis.cases(
            *[(fires(t, node.when), index) for index, node in enumerate(rules.nodes[:-1])], else_=len(rules.nodes) - 1
        )
    )
    by_node = list(enumerate(rules.nodes))
    return t.select(
        "subscriber_id",
        lifecycle_stage=ibis.cases(*[(t["_node"] == i, node.stage) for i, node in by_node]),
        lifecycle_rule=ibis.cases(*[(t["_node"] == i, f"lifecycle.{node.id}") for i, node in by_node]),
        lifecycle_reason=ibis.cases(*[(t["_node"] == i, reason(t, node.reason)) for i, node in by_node]),
    ).select(*schemas.LIFECYCLE.names)
