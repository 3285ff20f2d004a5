"""Churn warning rules (brief §8, seed 001 离网预警模型): every rule that fires counts, with its reason."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.churn_warnings import churn_warnings
from telcocrm.churn.warning_rules import ChurnRules, WarningRule
from telcocrm.jobs.rules import DEFAULT_RULES_FILE, load_rules
from telcocrm.lifecycle.config import Condition
from telcocrm.models.enums import ChurnSignal

from .conftest import build_table, rows


def line(subscriber_id: str, **values: Any) -> dict[str, Any]:
    """A settled line without any warning signal."""
    return {
        "month": "2026-10",
        "subscriber_id": subscriber_id,
        "customer_code": "C1",
        "subscriber_status": "active",
        "terminated_in_month": False,
        "tenure_months": 24,
        "arpu_3m_fen": 8_000,
        "arpu_prev_3m_fen": 8_000,
        "arpu_change_3m_pct": 0,
        "suspensions_3m": 0,
        "suspended_days_6m": 0,
        "plan_downgrades_3m": 0,
        "plan_downgrades_6m": 0,
        "complaints_3m": 0,
        "port_out_queries_3m": 0,
        **values,
    }


def warnings(con: Any, lines: list[dict[str, Any]], rules: ChurnRules | None = None) -> dict[str, dict[str, Any]]:
    result = churn_warnings(build_table(con, schemas.SUBSCRIBER_FEATURES, lines), rules or ChurnRules())
    assert result.schema().names == tuple(schemas.CHURN_WARNINGS.names)
    return {r["subscriber_id"]: r for r in rows(result, "subscriber_id")}


def test_quiet_line_has_a_row_without_warning(con: Any) -> None:
    got = warnings(con, [line("Q1")])["Q1"]
    assert (got["warning_score"], got["warned"], got["top_signal"], got["reasons"]) == (0, False, None, "")


def test_every_fired_rule_counts_and_the_heaviest_names_the_top_signal(con: Any) -> None:
    got = warnings(con, [line("W1", complaints_3m=1, port_out_queries_3m=2, arpu_3m_fen=4_200, arpu_prev_3m_fen=8_000)])
    w = got["W1"]
    assert w["fired_rules"] == "churn.arpu_drop.quarter,churn.complaint.once,churn.port_out_query"
    assert w["warning_score"] == 20 + 10 + 30
    assert (w["warned"], w["top_signal"], w["top_rule"]) == (True, "port_out_query", "churn.port_out_query")
    assert w["signals"] == "arpu_drop,complaint,port_out_query"
    assert w["reasons"].split(" | ")[0] == "近3个月ARPU下降48% / ARPU fell 48% in 3 months"
    assert len(w["reasons"].split(" | ")) == 3


def test_suspension_length_and_frequency_both_warn(con: Any) -> None:
    got = warnings(con, [line("S1", suspensions_3m=2, suspended_days_6m=20), line("S2", suspensions_3m=1)])
    assert got["S1"]["fired_rules"] == "churn.suspension.repeated,churn.suspension.long"
    assert got["S1"]["signals"] == "suspension"  # one signal however many of its rules fire
    assert "停机共20天" in got["S1"]["reasons"]
    assert (got["S2"]["warning_score"], got["S2"]["warned"]) == (10, False)  # one suspension is only a hint


def test_each_warning_item_of_the_seed_has_its_signal(con: Any) -> None:
    items = {
        "plan_downgrade": {"plan_downgrades_3m": 1, "plan_downgrades_6m": 2},
        "arpu_drop": {"arpu_change_3m_pct": -45},
        "offnet_forwarding": {"forwarded_calls": 8, "forwarded_offnet_share_pct": 75},
        "called_numbers_drop": {"called_numbers_change_pct": -70},
        "contract_ending": {"contract_months_left": 0},
        "complaint": {"complaints_3m": 3},
    }
    got = warnings(con, [line(signal, **values) for signal, values in items.items()])
    assert {signal: got[signal]["top_signal"] for signal in items} == {signal: signal for signal in items}
    assert "下降45%" in got["arpu_drop"]["reasons"] and "减少70%" in got["called_numbers_drop"]["reasons"]


def test_forwarding_a_few_calls_or_on_net_is_no_signal(con: Any) -> None:
    got = warnings(
        con,
        [
            line("F1", forwarded_calls=2, forwarded_offnet_share_pct=100),
            line("F2", forwarded_calls=20, forwarded_offnet_share_pct=10),
        ],
    )
    assert got["F1"]["warning_score"] == got["F2"]["warning_score"] == 0


def test_terminated_lines_and_null_features_do_not_warn(con: Any) -> None:
    got = warnings(
        con,
        [
            line("T1", terminated_in_month=True, subscriber_status="terminated", port_out_queries_3m=1),
            line("N1", contract_months_left=None, arpu_change_3m_pct=None, complaints_3m=None),
        ],
    )
    assert set(got) == {"N1"}
    assert got["N1"]["warning_score"] == 0


def test_a_province_reweights_and_rebars_the_rules(con: Any) -> None:
    contract = WarningRule(
        id="contract_ending",
        signal=ChurnSignal.CONTRACT_ENDING,
        weight=40,
        when=(Condition(feature="contract_months_left", op="<=", value=1),),
        reason="协议{contract_months_left}个月后到期 / contract ends in {contract_months_left} months",
    )
    rules = ChurnRules(warn_score_at_least=40, rules=(contract,))
    got = warnings(con, [line("P1", contract_months_left=1), line("P2", contract_months_left=2)], rules)
    assert (got["P1"]["warned"], got["P1"]["reasons"]) == (True, "协议1个月后到期 / contract ends in 1 months")
    assert got["P2"]["warned"] is False


def test_rules_name_known_features_and_signals() -> None:
    with pytest.raises(ValidationError, match="unknown feature"):
        WarningRule(
            id="x", signal=ChurnSignal.COMPLAINT, weight=1, reason="{no_such}",
            when=(Condition(feature="complaints_3m", op=">=", value=1),),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="signal"):
        WarningRule.model_validate(
            {"id": "x", "signal": "bad_mood", "weight": 1, "reason": "r", "when": [{"feature": "complaints_3m",
             "op": ">=", "value": 1}]}
        )  # fmt: skip


def test_rules_file_holds_every_default() -> None:
    assert load_rules(DEFAULT_RULES_FILE).churn == ChurnRules()
    covered = {rule.signal for rule in ChurnRules().rules}
    assert covered == set(ChurnSignal)
