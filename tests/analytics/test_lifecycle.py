"""Lifecycle stages (brief §8): the decision tree a retention analyst reads in the rules file."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.lifecycle import lifecycle_stages
from telcocrm.jobs.rules import DEFAULT_RULES_FILE, load_rules
from telcocrm.lifecycle.config import DEFAULT_NODES, LifecycleRules

from .conftest import build_table, rows


def line(subscriber_id: str, **values: Any) -> dict[str, Any]:
    """A settled line: two years old, steady spend and usage, no warning signal."""
    return {
        "month": "2026-10",
        "subscriber_id": subscriber_id,
        "customer_code": "C1",
        "subscriber_status": "active",
        "terminated_in_month": False,
        "tenure_months": 24,
        "arpu_3m_fen": 8_000,
        "arpu_prev_3m_fen": 8_000,
        "voice_minutes": 300,
        "data_mb": 5_000,
        "sms_count": 20,
        "suspensions_3m": 0,
        "plan_downgrades_3m": 0,
        "complaints_3m": 0,
        "port_out_queries_3m": 0,
        **values,
    }


def stages(con: Any, lines: list[dict[str, Any]], rules: LifecycleRules | None = None) -> dict[str, dict[str, Any]]:
    result = lifecycle_stages(build_table(con, schemas.SUBSCRIBER_FEATURES, lines), rules or LifecycleRules())
    assert result.schema().names == tuple(schemas.LIFECYCLE.names)
    return {r["subscriber_id"]: r for r in rows(result, "subscriber_id")}


def test_terminated_line_has_left(con: Any) -> None:
    got = stages(con, [line("L1", terminated_in_month=True, suspensions_3m=2)])["L1"]
    assert (got["lifecycle_stage"], got["lifecycle_rule"]) == ("left", "lifecycle.left.terminated")


def test_new_line_is_in_identification(con: Any) -> None:
    got = stages(con, [line("N1", tenure_months=2, voice_minutes=0, data_mb=0, sms_count=0, arpu_3m_fen=0)])["N1"]
    assert got["lifecycle_stage"] == "identification"
    assert got["lifecycle_reason"].startswith("入网2个月")


def test_four_month_old_line_with_tiny_usage_is_sunk(con: Any) -> None:
    tiny = {"voice_minutes": 3, "data_mb": 10, "sms_count": 1, "arpu_3m_fen": 500}
    got = stages(con, [line("S1", tenure_months=4, **tiny), line("S2", tenure_months=4, **{**tiny, "data_mb": 800})])
    assert (got["S1"]["lifecycle_stage"], got["S1"]["lifecycle_rule"]) == ("sunk", "lifecycle.sunk.never_grew")
    assert "近3月ARPU 5元" in got["S1"]["lifecycle_reason"]
    assert got["S2"]["lifecycle_stage"] != "sunk"  # 800 MB of data is above the floor


def test_suspension_and_downgrade_is_warning_with_the_first_reason(con: Any) -> None:
    warned = line("W1", suspensions_3m=1, plan_downgrades_3m=2)
    got = stages(con, [warned])["W1"]
    assert (got["lifecycle_stage"], got["lifecycle_rule"]) == ("warning", "lifecycle.warning.suspension")
    assert got["lifecycle_reason"] == "近3个月停机1次 / 1 suspensions in 3 months"
    downgrade_first = [n for n in DEFAULT_NODES if n.id == "warning.plan_downgrade"] + [
        n for n in DEFAULT_NODES if n.id != "warning.plan_downgrade"
    ]
    reordered = stages(con, [warned], LifecycleRules(nodes=tuple(downgrade_first)))["W1"]
    assert reordered["lifecycle_rule"] == "lifecycle.warning.plan_downgrade"
    assert "降档套餐2次" in reordered["lifecycle_reason"]


def test_each_warning_signal_is_its_own_branch(con: Any) -> None:
    got = stages(
        con,
        [
            line("A", arpu_change_3m_pct=-35),
            line("F", forwarded_calls=10, forwarded_offnet_share_pct=60),
            line("F4", forwarded_calls=4, forwarded_offnet_share_pct=100),
            line("N", called_numbers_change_pct=-65),
            line("N5", called_numbers_change_pct=-50),
            line("C", complaints_3m=1),
            line("P", port_out_queries_3m=1),
            line("K", contract_months_left=1),
            line("K9", contract_months_left=9),
        ],
    )
    assert {k: v["lifecycle_rule"] for k, v in got.items()} == {
        "A": "lifecycle.warning.arpu_drop",
        "F": "lifecycle.warning.offnet_forwarding",
        "F4": "lifecycle.stable.rest",  # four forwarded calls are too few to be a signal
        "N": "lifecycle.warning.called_numbers_drop",
        "N5": "lifecycle.stable.rest",  # half the usual count is still within month-to-month noise
        "C": "lifecycle.warning.complaint",
        "P": "lifecycle.warning.port_out_query",
        "K": "lifecycle.warning.contract_ending",
        "K9": "lifecycle.stable.rest",
    }


def test_young_line_with_rising_arpu_grows_and_the_rest_is_stable(con: Any) -> None:
    got = stages(
        con,
        [
            line("G", tenure_months=6, arpu_3m_fen=6_000, arpu_prev_3m_fen=4_000),
            line("Old", tenure_months=30, arpu_3m_fen=6_000, arpu_prev_3m_fen=4_000),
            line("Flat", tenure_months=6),
            line("NoContract", contract_months_left=None),
        ],
    )
    assert got["G"]["lifecycle_stage"] == "growth"
    assert "上升50%" in got["G"]["lifecycle_reason"]
    assert [got[k]["lifecycle_stage"] for k in ("Old", "Flat", "NoContract")] == ["stable"] * 3


def test_rules_file_holds_every_default() -> None:
    assert load_rules(DEFAULT_RULES_FILE).lifecycle == LifecycleRules()


def test_tree_must_end_with_a_catch_all_and_name_known_features() -> None:
    with pytest.raises(ValidationError, match="last node"):
        LifecycleRules(nodes=DEFAULT_NODES[:-1])
    with pytest.raises(ValidationError, match="unknown feature"):
        LifecycleRules.model_validate(
            {
                "nodes": [
                    {
                        "id": "x",
                        "stage": "warning",
                        "when": [{"feature": "mood", "op": ">", "value": 1}],
                        "reason": "r",
                    },
                    {"id": "y", "stage": "stable", "reason": "r"},
                ]
            }
        )
