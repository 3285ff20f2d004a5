"""One row per subscriber with its customer's rating and segments and its own lifecycle stage."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas


def subscriber_results(
    features: ir.Table, credit: ir.Table, segments: ir.Table, lifecycle: ir.Table, *, month: str, rules_version: str
) -> ir.Table:
    """Join the marts onto the subscribers of the month (schemas.SUBSCRIBER_RESULTS)."""
    subscribers = features.select("subscriber_id", "customer_code")
    joined = (
        subscribers.left_join(credit, "customer_code")
        .select(~ibis.selectors.endswith("_right"))
        .left_join(segments, "customer_code")
        .select(~ibis.selectors.endswith("_right"))
        .left_join(lifecycle, "subscriber_id")
        .select(~ibis.selectors.endswith("_right"))
    )
    return joined.mutate(month=ibis.literal(month), rules_version=ibis.literal(rules_version)).select(
        *schemas.SUBSCRIBER_RESULTS.names
    )
