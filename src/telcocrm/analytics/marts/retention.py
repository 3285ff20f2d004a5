"""Retention cost caps (schemas.RETENTION_CAPS) and a recommended measure per warned customer (RETENTION_OFFERS).

Caps: the formula of churn/cost_cap.py in integer fen, one row per customer of the month's customer features; the
main product is the product of the customer's main line (highest 3-month ARPU, then the lowest subscriber_id: the
main line of CUSTOMER_FEATURES). A customer without a segment row (no value tier) gets a cap of 0.

Offers: docs/retention.md § Recommendations.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.churn.cost_cap import RetentionRules
from telcocrm.churn.measures import RetentionMeasure
from telcocrm.churn.warning_rules import ChurnRules


def retention_caps(customers: ir.Table, segments: ir.Table, features: ir.Table, rules: RetentionRules) -> ir.Table:
    """One row per customer: value tier, main product, ARPU, group size n and the retention cost cap (fen)."""
    params = rules.cost_cap
    tiers = segments.select("customer_code", "value_tier")
    t = customers.select("month", "customer_code", arpu_fen=customers.arpu_3m_fen, _size=customers.group_size)
    t = t.left_join(tiers, "customer_code").select(~ibis.selectors.endswith("_right"))
    t = t.left_join(_main_products(features), "customer_code").select(~ibis.selectors.endswith("_right"))
    size = t._size.fill_null(0)
    t = t.mutate(
        group_size=ibis.ifelse(size < 1, 1, ibis.ifelse(size > params.max_group_size, params.max_group_size, size))
    )
    acpu = ibis.cases(
        *[(t.main_product == product.value, fen) for product, fen in rules.acpu_fen.items()],
        else_=params.default_acpu_fen,
    )
    arpu = t.arpu_fen.fill_null(0)
    revenue_bound = ibis.ifelse(arpu > 0, arpu, 0) * params.revenue_share_pct * params.expected_months // 100
    acquisition_bound = acpu * t.group_size
    factor = ibis.cases(*[(t.value_tier == tier, pct) for tier, pct in params.tier_factor_pct.items()], else_=0)
    bound = ibis.ifelse(revenue_bound < acquisition_bound, revenue_bound, acquisition_bound)
    t = t.mutate(cost_cap_fen=(bound * factor // 100).cast("int64"))
    return t.select(*schemas.RETENTION_CAPS.names).cast(ibis.schema(schemas.RETENTION_CAPS))


def _main_products(f: ir.Table) -> ir.Table:
    top = f.group_by("customer_code").agg(_top=f.arpu_3m_fen.max())
    leaders = f.join(top, (f.customer_code == top.customer_code) & (f.arpu_3m_fen == top._top))
    main = leaders.group_by("customer_code").agg(_main=leaders.subscriber_id.min())
    lines = f.select(_line=f.subscriber_id, main_product=f.product)
    return main.join(lines, main._main == lines._line).select("customer_code", "main_product")


def retention_offers(
    warnings: ir.Table,
    scores: ir.Table | None,
    lifecycle: ir.Table,
    caps: ir.Table,
    features: ir.Table,
    rules: RetentionRules,
    churn: ChurnRules,
) -> ir.Table:
    """One row per warned customer: its most at-risk warned line, the signal, and the measure within the cap."""
    t = _warned_lines(warnings, scores, features, churn)
    t = t.join(lifecycle.select("subscriber_id", "lifecycle_stage"), "subscriber_id", how="left")
    t = t.select(~ibis.selectors.endswith("_right"))
    t = t.join(caps.select("customer_code", "value_tier", "arpu_fen", "cost_cap_fen"), "customer_code", how="left")
    t = t.select(~ibis.selectors.endswith("_right")).mutate(cost_cap_fen=ibis._.cost_cap_fen.fill_null(0))
    candidates = [m for code in rules.recommend.priority for m in rules.measures if m.code == code]
    t = _choose(t, candidates)
    probability_value = (t.arpu_fen * t.churn_probability).floor().cast("int64")
    score_value = t.arpu_fen * ibis.ifelse(t.warning_score > 100, 100, t.warning_score) // 100
    return (
        t.mutate(
            risk_value_fen=ibis.ifelse(t.churn_probability.notnull(), probability_value, score_value),
            offer_reason=_offer_reason(t),
        )
        .select(*schemas.RETENTION_OFFERS.names)
        .cast(ibis.schema(schemas.RETENTION_OFFERS))
    )


def _warned_lines(warnings: ir.Table, scores: ir.Table | None, features: ir.Table, churn: ChurnRules) -> ir.Table:
    """The warned line of each warned customer: the highest probability, then score, then line ARPU, then id."""
    t = warnings.select("month", "subscriber_id", "customer_code", "warning_score", "warned", "top_signal")
    if scores is None:
        t = t.mutate(churn_probability=ibis.null("float64"), model_signal=ibis.null("string"))
    else:
        model = scores.select("subscriber_id", "churn_probability", model_signal=scores.top_signal)
        t = t.join(model, "subscriber_id", how="left").select(~ibis.selectors.endswith("_right"))
    arpu = features.select("subscriber_id", _line_arpu=features.arpu_3m_fen)
    t = t.join(arpu, "subscriber_id", how="left").select(~ibis.selectors.endswith("_right"))
    by_model = (t.churn_probability >= churn.warn_probability_at_least).fill_null(False)
    by_rules = t.warned.fill_null(False)
    t = t.filter(by_model | by_rules).mutate(
        signal=ibis.ifelse(by_model & t.model_signal.notnull(), t.model_signal, t.top_signal),
        warned_by=ibis.cases((by_rules & by_model, "rules,model"), (by_model, "model"), else_="rules"),
    )
    order = [
        t.churn_probability.fill_null(-1.0).desc(),
        t.warning_score.desc(),
        t._line_arpu.fill_null(0).desc(),
        t.subscriber_id.asc(),
    ]
    t = t.mutate(_rank=ibis.row_number().over(group_by="customer_code", order_by=order))
    return t.filter(t._rank == 0).drop("_rank", "_line_arpu", "model_signal", "top_signal", "warned")


def _choose(t: ir.Table, candidates: list[RetentionMeasure]) -> ir.Table:
    """The first candidate that suits and fits the cap; and the cheapest that suits, to explain a refusal."""
    suits = [(_suits(t, m), m) for m in candidates]
    within = [(flag & (t.cost_cap_fen >= m.cost_fen), m) for flag, m in suits]
    cheapest_first = sorted(suits, key=lambda pair: pair[1].cost_fen)
    return t.mutate(
        measure_code=ibis.cases(*[(flag, m.code) for flag, m in within], else_=ibis.null("string")),
        measure_phase=ibis.cases(*[(flag, m.phase.value) for flag, m in within], else_=ibis.null("string")),
        measure_cost_fen=ibis.cases(*[(flag, m.cost_fen) for flag, m in within], else_=ibis.null("int64")),
        _names=ibis.cases(*[(flag, f"{m.name_zh} / {m.name_en}") for flag, m in within], else_=ibis.null("string")),
        _cheapest_fen=ibis.cases(*[(flag, m.cost_fen) for flag, m in cheapest_first], else_=ibis.null("int64")),
    )


def _suits(t: ir.Table, m: RetentionMeasure) -> ir.BooleanValue:
    if not (m.signals and m.value_tiers and m.stages):
        return ibis.literal(False)
    answers = t.signal.isin([s.value for s in m.signals])
    suits: ir.BooleanValue = answers & t.value_tier.isin(list(m.value_tiers)) & t.lifecycle_stage.isin(list(m.stages))
    return suits.fill_null(False)


def _offer_reason(t: ir.Table) -> ir.StringValue:
    cap = _cny(t.cost_cap_fen)
    chosen = (
        t._names + "：应对" + t.signal + "，费用" + _cny(t.measure_cost_fen) + "元，上限" + cap + "元 / answers "
        + t.signal + ", costs " + _cny(t.measure_cost_fen) + " CNY within the cap of " + cap + " CNY"
    )  # fmt: skip
    above_cap = (
        "适合的措施最低" + _cny(t._cheapest_fen) + "元，超过挽留成本上限" + cap + "元，不推荐 / every fitting measure "
        "costs more than the cap (cheapest " + _cny(t._cheapest_fen) + " CNY, cap " + cap + " CNY): none recommended"
    )  # fmt: skip
    return ibis.cases(
        (t.measure_code.notnull(), chosen),
        (t.signal.isnull(), ibis.literal("没有可应对的预警信号 / no churn signal to answer")),
        (t._cheapest_fen.notnull(), above_cap),
        else_=ibis.literal(
            "目录中没有适合该信号、价值层级和阶段的措施 / no measure suits this signal, value tier and stage"
        ),
    )


def _cny(fen: ir.IntegerValue) -> ir.StringValue:
    """Fen as CNY with two decimals (non-negative amounts)."""
    return (fen // 100).cast("string") + "." + (fen % 100).cast("string").lpad(2, "0")
