"""The churn warning rules: the [churn] section of the monthly rules file, loaded and checked (defaults below).

Seed 001's warning model (离网预警模型: suspension length and frequency, plan downgrades and their frequency, ARPU
change, call forwarding off-net, fewer called numbers) plus contract ending, complaints and port-out queries. Each
rule tests conditions on subscriber features (the lifecycle's condition format), fires with one churn signal and a
weight in points, and explains itself with a reason template. Every rule that fires counts: a line's warning score
is the sum of the weights. Reasons and defaults: docs/rules.md § Churn warning rules.
"""

from __future__ import annotations

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.analytics.marts.conditions import template_fields
from telcocrm.lifecycle.config import Condition, Operator, feature_types
from telcocrm.models.enums import ChurnSignal

# Shown in reasons only (conditions keep the signed *_change_pct): the fall as a positive whole percent.
REASON_FEATURES = {
    "arpu_drop_vs_prev_3m_pct": pa.int64(),  # − arpu_change_3m_pct: this month against the three months before
    "arpu_3m_drop_pct": pa.int64(),  # − arpu_3m_vs_prev_pct: the last three months against the three before
    "called_numbers_drop_pct": pa.int64(),  # − called_numbers_change_pct
}


class WarningRule(BaseModel):
    """A rule `churn.<id>`: all conditions hold → the line earns `weight` points for `signal`, with the reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    signal: ChurnSignal
    weight: int = Field(ge=1, le=1000)
    when: tuple[Condition, ...] = Field(min_length=1)
    reason: str = Field(min_length=1)

    @property
    def rule_id(self) -> str:
        """The id results carry."""
        return f"churn.{self.id}"

    @model_validator(mode="after")
    def _placeholders(self) -> WarningRule:
        known = {**feature_types(), **REASON_FEATURES}
        unknown = [name for name in template_fields(self.reason) if name not in known]
        if unknown:
            raise ValueError(f"churn rule {self.id}: reason names unknown feature(s) {unknown}")
        return self


def _rule(rule_id: str, signal: ChurnSignal, weight: int, reason: str, *when: tuple[str, Operator, int]) -> WarningRule:
    conditions = tuple(Condition(feature=f, op=op, value=v) for f, op, v in when)
    return WarningRule(id=rule_id, signal=signal, weight=weight, when=conditions, reason=reason)


S = ChurnSignal
DEFAULT_WARNING_RULES = (
    _rule(
        "suspension.once", S.SUSPENSION, 10, "近3个月停机1次 / 1 suspension in 3 months", ("suspensions_3m", "==", 1)
    ),
    _rule(
        "suspension.repeated",
        S.SUSPENSION,
        25,
        "近3个月停机{suspensions_3m}次 / {suspensions_3m} suspensions in 3 months",
        ("suspensions_3m", ">=", 2),
    ),
    _rule(
        "suspension.long",
        S.SUSPENSION,
        15,
        "近6个月停机共{suspended_days_6m}天 / suspended {suspended_days_6m} days in 6 months",
        ("suspended_days_6m", ">=", 15),
    ),
    _rule(
        "plan_downgrade.recent",
        S.PLAN_DOWNGRADE,
        15,
        "近3个月套餐降档{plan_downgrades_3m}次 / {plan_downgrades_3m} plan downgrades in 3 months",
        ("plan_downgrades_3m", ">=", 1),
    ),
    _rule(
        "plan_downgrade.repeated",
        S.PLAN_DOWNGRADE,
        15,
        "近6个月套餐降档{plan_downgrades_6m}次 / {plan_downgrades_6m} plan downgrades in 6 months",
        ("plan_downgrades_6m", ">=", 2),
    ),
    _rule(
        "arpu_drop.month",
        S.ARPU_DROP,
        15,
        "本月ARPU比前3个月均值下降{arpu_drop_vs_prev_3m_pct}% / ARPU this month {arpu_drop_vs_prev_3m_pct}% below "
        "the three months before",
        ("arpu_change_3m_pct", "<=", -30),
    ),
    _rule(
        "arpu_drop.quarter",
        S.ARPU_DROP,
        20,
        "近3个月ARPU下降{arpu_3m_drop_pct}% / ARPU fell {arpu_3m_drop_pct}% in 3 months",
        ("arpu_3m_vs_prev_pct", "<=", -30),
    ),
    _rule(
        "offnet_forwarding",
        S.OFFNET_FORWARDING,
        25,
        "本月呼转{forwarded_calls}次，网外占{forwarded_offnet_share_pct}% / {forwarded_calls} calls forwarded this "
        "month, {forwarded_offnet_share_pct}% off-net",
        ("forwarded_calls", ">=", 5),
        ("forwarded_offnet_share_pct", ">=", 50),
    ),
    _rule(
        "called_numbers_drop",
        S.CALLED_NUMBERS_DROP,
        15,
        "通话对象数比前3个月均值减少{called_numbers_drop_pct}% / called {called_numbers_drop_pct}% fewer numbers than "
        "the three months before",
        ("called_numbers_change_pct", "<=", -60),
    ),
    _rule(
        "contract_ending",
        S.CONTRACT_ENDING,
        15,
        "协议{contract_months_left}个月后到期 / contract ends in {contract_months_left} months",
        ("contract_months_left", "<=", 2),
    ),
    _rule("complaint.once", S.COMPLAINT, 10, "近3个月投诉1次 / 1 complaint in 3 months", ("complaints_3m", "==", 1)),
    _rule(
        "complaint.repeated",
        S.COMPLAINT,
        20,
        "近3个月投诉{complaints_3m}次 / {complaints_3m} complaints in 3 months",
        ("complaints_3m", ">=", 2),
    ),
    _rule(
        "port_out_query",
        S.PORT_OUT_QUERY,
        30,
        "近3个月咨询携号转网{port_out_queries_3m}次 / {port_out_queries_3m} port-out queries in 3 months",
        ("port_out_queries_3m", ">=", 1),
    ),
)


class ChurnRules(BaseModel):
    """Warning rules (every one that fires counts) and the bars that make a line warned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warn_score_at_least: int = Field(30, ge=1)
    warn_probability_at_least: float = Field(0.30, gt=0, le=1)
    rules: tuple[WarningRule, ...] = DEFAULT_WARNING_RULES

    @model_validator(mode="after")
    def _check(self) -> ChurnRules:
        ids = [rule.id for rule in self.rules]
        if not ids:
            raise ValueError("churn.rules: at least one warning rule")
        if len(set(ids)) != len(ids):
            raise ValueError(f"churn.rules: ids must be distinct, got {ids}")
        return self
