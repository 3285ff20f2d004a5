"""Reason codes read as business words: the strongest pushes on a line's risk, with the line's own figures."""

from __future__ import annotations

import pandas as pd

from telcocrm.churn.monthly_config import load_model_settings
from telcocrm.churn.reasons import explain_lines

BOOK = load_model_settings().reason_book()


def explain(contributions: dict[str, list[float]], values: dict[str, list[object]], limit: int = 3) -> list:  # type: ignore[type-arg]
    return explain_lines(pd.DataFrame(contributions), pd.DataFrame(values), BOOK, limit=limit, min_contribution=0.05)


def test_the_strongest_push_comes_first_in_the_words_of_the_business() -> None:
    [line] = explain(
        {"suspensions_3m": [0.3], "arpu_change_3m_pct": [0.9], "billed_fen": [0.06]},
        {"suspensions_3m": [2], "arpu_change_3m_pct": [-42.0], "billed_fen": [12345]},
    )
    assert line.reasons[0] == "ARPU较前3月均值下降42% / ARPU fell 42% against the three months before"
    assert line.reasons[1] == "近3个月停机2次 / 2 suspensions in 3 months"
    assert line.reasons[2] == "本月账单123.45元 / billed 123.45 CNY this month"
    assert line.top_signal == "arpu_drop"


def test_features_that_lower_the_risk_or_barely_move_it_are_no_reasons() -> None:
    [line] = explain(
        {"complaints_3m": [-0.8], "tenure_months": [0.01], "port_out_queries_3m": [0.4]},
        {"complaints_3m": [0], "tenure_months": [3], "port_out_queries_3m": [1]},
    )
    assert line.reasons == ["近3个月查询携号转网1次 / 1 number-portability queries in 3 months"]
    assert line.top_signal == "port_out_query"


def test_the_top_signal_is_the_strongest_reason_that_stands_for_a_signal() -> None:
    [line] = explain(
        {"tenure_months": [1.2], "contract_months_left": [0.5]},
        {"tenure_months": [2], "contract_months_left": [1]},
        limit=1,
    )
    assert line.reasons == ["入网2个月 / 2 months in the network"], "tenure is a reason but no churn signal"
    assert line.top_signal == "contract_ending"


def test_a_feature_without_words_and_a_missing_value_still_read() -> None:
    [line] = explain({"brand": [0.7], "handset_age_months": [0.2]}, {"brand": ["gotone"], "handset_age_months": [None]})
    assert line.reasons == ["brand: gotone", "近期无换机记录 / no handset change on record"]
    assert line.top_signal is None
