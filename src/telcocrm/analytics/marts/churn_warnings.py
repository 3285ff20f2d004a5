"""Churn warnings of the month (schemas.CHURN_WARNINGS): every warning rule that fires on each line in the network.

Unlike the lifecycle tree, where the first warning node decides the stage, here every rule counts: the warning
score is the sum of the fired rules' weights, the reasons list them all, and the top signal is the heaviest rule's
(the first in the file's order on a tie). Integer comparisons and sums only, so DuckDB and Spark give the same rows.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.conditions import fires, reason, with_derived_features
from telcocrm.churn.warning_rules import ChurnRules

_SEPARATOR = " | "


def churn_warnings(features: ir.Table, rules: ChurnRules) -> ir.Table:
    """One row per line not terminated in the month, with the fired warning rules, score, signals and reasons."""
    t = _with_reason_features(with_derived_features(features))
    t = t.filter(~t.terminated_in_month.fill_null(False) & (t.subscriber_status.fill_null("") != "terminated"))
    t = t.mutate(**{f"_fired{i}": fires(t, rule.when) for i, rule in enumerate(rules.rules)})
    fired = [(t[f"_fired{i}"], rule) for i, rule in enumerate(rules.rules)]
    score = sum((ibis.ifelse(flag, rule.weight, 0) for flag, rule in fired), ibis.literal(0))
    heaviest = sorted(fired, key=lambda pair: -pair[1].weight)  # stable: the file's order breaks ties
    signals = list(dict.fromkeys(rule.signal.value for rule in rules.rules))
    signal_fired = {s: _any([flag for flag, rule in fired if rule.signal == s]) for s in signals}
    return t.select(
        "month",
        "subscriber_id",
        "customer_code",
        warning_score=score.cast("int64"),
        warned=score >= rules.warn_score_at_least,
        fired_rules=_joined([(flag, ibis.literal(rule.rule_id)) for flag, rule in fired], ","),
        signals=_joined([(signal_fired[s], ibis.literal(s)) for s in signals], ","),
        top_signal=ibis.cases(*[(flag, rule.signal.value) for flag, rule in heaviest], else_=ibis.null("string")),
        top_rule=ibis.cases(*[(flag, rule.rule_id) for flag, rule in heaviest], else_=ibis.null("string")),
        reasons=_joined([(flag, reason(t, rule.reason)) for flag, rule in fired], _SEPARATOR),
    ).select(*schemas.CHURN_WARNINGS.names)


def _with_reason_features(t: ir.Table) -> ir.Table:
    """The falls reasons show as positive percents (warning_rules.REASON_FEATURES)."""
    return t.mutate(
        arpu_drop_vs_prev_3m_pct=-t.arpu_change_3m_pct,
        arpu_3m_drop_pct=-t.arpu_3m_vs_prev_pct,
        called_numbers_drop_pct=-t.called_numbers_change_pct,
    )


def _any(flags: list[ir.BooleanValue]) -> ir.BooleanValue:
    result: ir.BooleanValue = ibis.literal(False)
    for flag in flags:
        result = result | flag
    return result


def _joined(parts: list[tuple[ir.BooleanValue, ir.StringValue]], separator: str) -> ir.StringValue:
    """The texts whose flag holds, in order, joined by the separator ("" when none)."""
    text: ir.StringValue = ibis.literal("")
    for flag, part in parts:
        text = text + ibis.ifelse(flag, separator + part, "")
    # every fired part starts with the separator: drop the first one
    return ibis.ifelse(text.length() > 0, text.substr(len(separator)), "")
