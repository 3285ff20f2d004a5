"""The warning list of the month (schemas.WARNING_LIST): each warned customer's recommendation with the branch, the
warned line and every reason, so a branch's list is one filter and one sort away."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas


def warning_list(
    offers: ir.Table, base: ir.Table, features: ir.Table, warnings: ir.Table, scores: ir.Table | None
) -> ir.Table:
    """RETENTION_OFFERS rows with city, product, brand, risk decile and the model's and the rules' reasons."""
    # One city per customer (lines of a merged-away customer may still carry its old profile's city).
    cities = base.group_by("customer_code").agg(city=base.city.min())
    lines = features.select("subscriber_id", "product", "brand")
    rule_reasons = warnings.select("subscriber_id", rule_reasons=warnings.reasons)
    t = _left(offers, cities, "customer_code")
    t = _left(t, lines, "subscriber_id")
    t = _left(t, rule_reasons, "subscriber_id")
    if scores is None:
        t = t.mutate(risk_decile=ibis.null("int64"), model_reasons=ibis.null("string"))
    else:
        t = _left(t, scores.select("subscriber_id", "risk_decile", model_reasons=scores.reasons), "subscriber_id")
    ordered = t.order_by(ibis.desc("risk_value_fen"), "customer_code")
    return ordered.select(*schemas.WARNING_LIST.names).cast(ibis.schema(schemas.WARNING_LIST))


def _left(t: ir.Table, other: ir.Table, key: str) -> ir.Table:
    return t.left_join(other, key).select(~ibis.selectors.endswith("_right"))
