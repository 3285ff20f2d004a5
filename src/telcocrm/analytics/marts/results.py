"""One row per subscriber with its customer's rating and segments and its own lifecycle stage."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.parts import WHOLE, HashPart


def subscriber_results(
    features: ir.Table,
    credit: ir.Table,
    segments: ir.Table,
    lifecycle: ir.Table,
    *,
    month: str,
    rules_version: str,
    part: HashPart = WHOLE,
) -> ir.Table:
    """Join the marts onto the subscribers of the month (schemas.SUBSCRIBER_RESULTS), or onto one hash part of
    them by customer code: every customer's reasons repeat on each of its subscribers, about 1 KB a row, so at
    10M subscribers the whole join outgrows the engine's memory and is done part by part (parts_for)."""
    subscribers = part.of(features.select("subscriber_id", "customer_code"), "customer_code")
    stages = lifecycle if part == WHOLE else lifecycle.semi_join(subscribers, "subscriber_id")
    joined = (
        subscribers.left_join(part.of(credit, "customer_code"), "customer_code")
        .select(~ibis.selectors.endswith("_right"))
        .left_join(part.of(segments, "customer_code"), "customer_code")
        .select(~ibis.selectors.endswith("_right"))
        .left_join(stages, "subscriber_id")
        .select(~ibis.selectors.endswith("_right"))
    )
    return joined.mutate(month=ibis.literal(month), rules_version=ibis.literal(rules_version)).select(
        *schemas.SUBSCRIBER_RESULTS.names
    )
