"""Thresholds of the lifecycle rules: the [lifecycle] section of the monthly rules file, with documented defaults.

The stage of each line is an explainable decision tree (brief §8, seed 001 目标市场客户细分): an ordered list of
nodes, each a set of conditions on named subscriber features (all must hold); the first node whose conditions hold
decides the stage, and the last node has no condition so every line gets one. Reasons and defaults: docs/rules.md
§ Lifecycle.
"""

from __future__ import annotations

import string
from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.analytics import schemas

Stage = Literal["left", "identification", "sunk", "warning", "growth", "stable"]
Operator = Literal["<", "<=", ">", ">=", "==", "!="]

# Derived by the lifecycle mart from SUBSCRIBER_FEATURES: (arpu_3m − arpu_prev_3m) × 100 // arpu_prev_3m,
# whole percent, null when the three months before had no spend; arpu_3m_cny: arpu_3m_fen // 100, for reasons.
DERIVED_FEATURES = {"arpu_3m_vs_prev_pct": pa.int64(), "arpu_3m_cny": pa.int64()}


def feature_types() -> dict[str, pa.DataType]:
    """Every feature a condition or a reason may name, with its type."""
    types = {f.name: f.type for f in schemas.SUBSCRIBER_FEATURES if f.name not in ("month",)}
    return {**types, **DERIVED_FEATURES}


class Condition(BaseModel):
    """`feature op value`; a null feature never meets a condition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feature: str
    op: Operator
    value: bool | int | str

    @model_validator(mode="after")
    def _check(self) -> Condition:
        kind = feature_types().get(self.feature)
        if kind is None:
            raise ValueError(f"unknown feature {self.feature!r}")
        if pa.types.is_boolean(kind):
            ok = isinstance(self.value, bool) and self.op in ("==", "!=")
        elif pa.types.is_integer(kind):
            ok = isinstance(self.value, int) and not isinstance(self.value, bool)
        else:
            ok = isinstance(self.value, str) and self.op in ("==", "!=")
        if not ok:
            raise ValueError(f"{self.feature} ({kind}) cannot be compared with {self.op} {self.value!r}")
        return self


class Node(BaseModel):
    """A node of the tree: id (rule `lifecycle.<id>`), conditions, stage, reason with {feature} placeholders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    stage: Stage
    when: tuple[Condition, ...] = ()
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _placeholders(self) -> Node:
        known = feature_types()
        for _, name, _, _ in string.Formatter().parse(self.reason):
            if name is not None and name not in known:
                raise ValueError(f"node {self.id}: reason names unknown feature {name!r}")
        return self


def _node(node_id: str, stage: Stage, reason: str, *when: tuple[str, Operator, bool | int | str]) -> Node:
    conditions = tuple(Condition(feature=f, op=op, value=v) for f, op, v in when)
    return Node(id=node_id, stage=stage, when=conditions, reason=reason)


DEFAULT_NODES = (
    _node("left.terminated", "left", "本月离网 / terminated in the month", ("terminated_in_month", "==", True)),
    _node(
        "identification.new_line",
        "identification",
        "入网{tenure_months}个月，仍在3个月识别期内 / {tenure_months} months in network, within the 3-month "
        "identification window",
        ("tenure_months", "<", 3),
    ),
    _node(
        "sunk.never_grew",
        "sunk",
        "过了识别期，近3月ARPU {arpu_3m_cny}元，本月通话{voice_minutes}分钟、流量{data_mb}MB、短信{sms_count}条，"
        "均低于下限 / past identification, ARPU {arpu_3m_cny} CNY, {voice_minutes} minutes, {data_mb} MB and "
        "{sms_count} SMS this month, all below the floors",
        ("arpu_3m_fen", "<", 1000),
        ("voice_minutes", "<", 10),
        ("data_mb", "<", 100),
        ("sms_count", "<", 10),
    ),
    _node(
        "warning.suspension",
        "warning",
        "近3个月停机{suspensions_3m}次 / {suspensions_3m} suspensions in 3 months",
        ("suspensions_3m", ">=", 1),
    ),
    _node(
        "warning.plan_downgrade",
        "warning",
        "近3个月降档套餐{plan_downgrades_3m}次 / {plan_downgrades_3m} plan downgrades in 3 months",
        ("plan_downgrades_3m", ">=", 1),
    ),
    _node(
        "warning.arpu_drop",
        "warning",
        "本月ARPU较前3月均值变化{arpu_change_3m_pct}%，降幅达30% / ARPU changed {arpu_change_3m_pct}% against the "
        "three months before: a drop of 30% or more",
        ("arpu_change_3m_pct", "<=", -30),
    ),
    _node(
        "warning.offnet_forwarding",
        "warning",
        "呼转{forwarded_calls}次，其中网外占{forwarded_offnet_share_pct}% / {forwarded_calls} forwarded calls, "
        "{forwarded_offnet_share_pct}% off-net",
        ("forwarded_calls", ">=", 5),
        ("forwarded_offnet_share_pct", ">=", 50),
    ),
    _node(
        "warning.called_numbers_drop",
        "warning",
        "通话对象数较前3月均值变化{called_numbers_change_pct}%，降幅达60% / called numbers changed "
        "{called_numbers_change_pct}% against the three months before: a drop of 60% or more",
        ("called_numbers_change_pct", "<=", -60),
    ),
    _node(
        "warning.complaint",
        "warning",
        "近3个月投诉{complaints_3m}次 / {complaints_3m} complaints in 3 months",
        ("complaints_3m", ">=", 1),
    ),
    _node(
        "warning.port_out_query",
        "warning",
        "近3个月咨询携号转网{port_out_queries_3m}次 / {port_out_queries_3m} port-out queries in 3 months",
        ("port_out_queries_3m", ">=", 1),
    ),
    _node(
        "warning.contract_ending",
        "warning",
        "协议剩余{contract_months_left}个月（2个月内到期）/ contract ends in {contract_months_left} months (within 2)",
        ("contract_months_left", "<=", 2),
    ),
    _node(
        "growth.rising",
        "growth",
        "入网{tenure_months}个月（不足12个月），近3月ARPU较前3月上升{arpu_3m_vs_prev_pct}% / {tenure_months} months "
        "in network (under 12), ARPU up {arpu_3m_vs_prev_pct}% on the three months before",
        ("tenure_months", "<", 12),
        ("arpu_3m_vs_prev_pct", ">", 0),
    ),
    _node("stable.rest", "stable", "无预警信号，消费平稳 / no warning signal, steady spending"),
)


class LifecycleRules(BaseModel):
    """The lifecycle decision tree: nodes in order, the first that fires decides; the last is the catch-all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nodes: tuple[Node, ...] = DEFAULT_NODES

    @model_validator(mode="after")
    def _check(self) -> LifecycleRules:
        ids = [node.id for node in self.nodes]
        if not self.nodes or self.nodes[-1].when:
            raise ValueError("lifecycle.nodes: the last node must have no condition, so every line gets a stage")
        if len(set(ids)) != len(ids):
            raise ValueError(f"lifecycle.nodes: ids must be distinct, got {ids}")
        return self
