"""Subscriber features: ARPU, lateness, churn-warning indicators and status, on every engine."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis

from telcocrm.analytics import schemas
from telcocrm.analytics.intermediate.subscriber_features import subscriber_features
from tests.analytics.conftest import rows
from tests.analytics.inputs import month_inputs

MONTH = "2026-06"


def line(subscriber_id: str = "S1", **overrides: Any) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "customer_code": "C1",
        "customer_kind": "person",
        "customer_joined_date": date(2020, 1, 1),
        "payment_method": "cash",
        "product": "mobile",
        "account_type": "individual",
        "subscriber_status": "active",
        "activated_date": date(2020, 1, 15),
        **overrides,
    }


def bill(month: str, billed: int, subscriber_id: str = "S1", **overrides: Any) -> dict[str, Any]:
    year, number = int(month[:4]), int(month[5:])
    due = date(year + number // 12, number % 12 + 1, 20)  # due on the 20th of the next month
    return {
        "subscriber_id": subscriber_id,
        "month": month,
        "billed_fen": billed,
        "due_date": due,
        "paid_fen": billed,
        "paid_date": due,
        "payment_method": "cash",
        **overrides,
    }


def event(kind: str, day: date, subscriber_id: str = "S1", **overrides: Any) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "event_time": datetime(day.year, day.month, day.day, 10, 0),
        "event_date": day,
        "kind": kind,
        **overrides,
    }


def features(con: Any, **tables: Any) -> dict[str, dict[str, Any]]:
    result = subscriber_features(month_inputs(con, MONTH, **tables))
    assert result.schema() == ibis.schema(schemas.SUBSCRIBER_FEATURES)
    return {row["subscriber_id"]: row for row in rows(result, "subscriber_id")}


def test_arpu_averages_only_the_billed_months(con: Any) -> None:
    bills = [
        bill("2026-06", 9_000),
        bill("2026-05", 6_000),
        # 2026-04 has no bill: the 3-month ARPU divides by the two billed months
        bill("2026-03", 4_001),
        bill("2026-02", 3_000),
        bill("2026-01", 2_000),
        bill("2025-12", 100_000),  # outside every window but the 12 months
    ]
    row = features(con, base=[line()], bills=bills)["S1"]
    assert row["billed_fen"] == 9_000
    assert row["arpu_1m_fen"] == 9_000
    assert row["arpu_3m_fen"] == 7_500  # (9000 + 6000) / 2 billed months
    assert row["arpu_6m_fen"] == 4_800  # 24001 / 5, rounded down
    assert row["arpu_prev_3m_fen"] == 5_000  # March to May: (4001 + 6000) / 2, rounded down
    assert row["arpu_change_1m_pct"] == 50  # 9000 vs 6000
    assert row["arpu_change_3m_pct"] == 80  # 9000 vs 5000
    assert row["bills_6m"] == 5


def test_percent_change_is_null_on_a_zero_base(con: Any) -> None:
    bills = [bill("2026-06", 5_000), bill("2026-05", 0)]
    usage = [
        {"subscriber_id": "S1", "month": "2026-06", "distinct_called_numbers": 12, "forwarded_calls": 0},
        {"subscriber_id": "S1", "month": "2026-05", "distinct_called_numbers": 0},
    ]
    row = features(con, base=[line()], bills=bills, usage=usage)["S1"]
    assert row["arpu_change_1m_pct"] is None  # last month billed 0
    assert row["arpu_change_3m_pct"] is None  # the three months before averaged 0
    assert row["called_numbers_change_pct"] is None
    assert row["forwarded_offnet_share_pct"] is None  # no forwarded calls
    assert row["data_usage_pct"] is None  # no allowance


def test_falling_arpu_and_called_numbers_are_negative_changes(con: Any) -> None:
    bills = [bill("2026-06", 3_000), bill("2026-05", 8_000)]
    usage = [
        {
            "subscriber_id": "S1",
            "month": "2026-06",
            "distinct_called_numbers": 10,
            "forwarded_calls": 8,
            "forwarded_offnet_calls": 6,
            "data_mb": 1_500,
            "data_allowance_mb": 1_000,
        },
        {"subscriber_id": "S1", "month": "2026-05", "distinct_called_numbers": 40},
        {"subscriber_id": "S1", "month": "2026-04", "distinct_called_numbers": 31},
    ]
    row = features(con, base=[line()], bills=bills, usage=usage)["S1"]
    assert row["arpu_change_1m_pct"] == -62  # −62.5 % toward zero
    assert row["called_numbers_change_pct"] == -71  # 10 vs ⌊71/2⌋ = 35: −71.4 %
    assert row["forwarded_offnet_share_pct"] == 75
    assert row["data_usage_pct"] == 150


def test_a_cheaper_plan_is_a_downgrade(con: Any) -> None:
    events = [
        event("plan_change", date(2026, 6, 3), old_plan_fee_fen=12_800, new_plan_fee_fen=5_800),
        event("plan_change", date(2026, 2, 3), old_plan_fee_fen=9_800, new_plan_fee_fen=12_800),
        event("plan_change", date(2026, 1, 3), old_plan_fee_fen=12_800, new_plan_fee_fen=9_800),  # 6 months ago
        event("plan_change", date(2025, 12, 31), old_plan_fee_fen=15_800, new_plan_fee_fen=12_800),  # before
        event("complaint", date(2026, 4, 1)),
        event("port_out_query", date(2026, 3, 31)),  # before the 3 months
    ]
    row = features(con, base=[line()], events=events)["S1"]
    assert (row["plan_downgrades_3m"], row["plan_downgrades_6m"], row["plan_upgrades_6m"]) == (1, 2, 1)
    assert (row["complaints_3m"], row["port_out_queries_3m"]) == (1, 0)


def test_late_and_unpaid_bills_are_counted_to_the_months_end(con: Any) -> None:
    bills = [
        bill("2026-03", 5_000, paid_fen=0, paid_date=None),  # due 2026-04-20, unpaid: 71 days on 2026-06-30
        bill("2026-02", 4_000, paid_date=date(2026, 3, 30)),  # due 2026-03-20: 10 days late
        bill("2026-05", 6_000, paid_fen=1_000, paid_date=date(2026, 6, 1)),  # due 06-20, 5,000 still open: 10 days
        bill("2026-06", 7_000, paid_fen=0, paid_date=None),  # due 07-20: not yet due
    ]
    row = features(con, base=[line()], bills=bills)["S1"]
    assert row["late_bills_6m"] == 3
    assert row["max_days_late_6m"] == 71
    assert row["unpaid_bills"] == 2
    assert row["arrears_fen"] == 10_000
    assert row["arrears_age_days"] == 71


def test_an_old_open_bill_is_arrears_and_an_old_settled_one_counts_nowhere(con: Any) -> None:
    bills = [
        bill("2025-09", 3_000, paid_fen=500, paid_date=date(2025, 10, 20)),  # 9 months old, 2,500 still open
        bill("2025-10", 2_000, subscriber_id="S2"),  # 8 months old and settled: outside every 6-month feature
    ]
    row = features(con, base=[line(), line("S2")], bills=bills)
    assert (row["S1"]["unpaid_bills"], row["S1"]["arrears_fen"], row["S1"]["bills_6m"]) == (1, 2_500, 0)
    assert row["S1"]["arrears_age_days"] == (date(2026, 6, 30) - date(2025, 10, 20)).days
    settled = row["S2"]
    counted = ("unpaid_bills", "arrears_fen", "bills_6m", "arpu_6m_fen")
    assert [settled[name] for name in counted] == [0, 0, 0, 0]
    assert (settled["billed_fen"], settled["arpu_change_1m_pct"]) == (0, None)


def test_usage_is_this_months_row_against_the_three_months_before(con: Any) -> None:
    usage = [
        {"subscriber_id": "S1", "month": "2026-06", "distinct_called_numbers": 20, "data_mb": 700},
        {"subscriber_id": "S1", "month": "2026-05", "distinct_called_numbers": 30},
        {"subscriber_id": "S1", "month": "2026-03", "distinct_called_numbers": 10},
        {"subscriber_id": "S1", "month": "2026-02", "distinct_called_numbers": 500},  # four months before
        {"subscriber_id": "S1", "month": "2026-07", "distinct_called_numbers": 900, "data_mb": 9},  # after the run
        {"subscriber_id": "S2", "month": "2026-04", "distinct_called_numbers": 8, "data_mb": 50},  # none this month
    ]
    row = features(con, base=[line(), line("S2")], usage=usage)
    assert (row["S1"]["distinct_called_numbers"], row["S1"]["data_mb"]) == (20, 700)
    assert row["S1"]["called_numbers_change_pct"] == 0  # 20 vs ⌊(30 + 10) / 2⌋
    assert (row["S2"]["distinct_called_numbers"], row["S2"]["data_mb"]) == (0, 0)
    assert row["S2"]["called_numbers_change_pct"] == -100  # 0 vs 8


def test_suspension_count_days_and_status(con: Any) -> None:
    events = [
        event("suspend", date(2025, 12, 20)),  # began before the 6 months: counted from 2026-01-01
        event("resume", date(2026, 1, 11)),  # 10 days in the window
        event("suspend", date(2026, 6, 21)),  # still suspended: 21st to 30th inclusive, 10 days
        event("suspend", date(2026, 5, 1), subscriber_id="S2"),
        event("resume", date(2026, 5, 4), subscriber_id="S2"),
    ]
    base = [line(), line("S2", subscriber_status="suspended"), line("S3", subscriber_status="suspended")]
    result = features(con, base=base, events=events)
    assert result["S1"]["suspensions_6m"] == 1  # the December suspend began before the 6 months
    assert result["S1"]["suspensions_3m"] == 1
    assert result["S1"]["suspended_days_6m"] == 20
    assert result["S1"]["subscriber_status"] == "suspended"
    assert result["S2"]["suspended_days_6m"] == 3
    assert result["S2"]["subscriber_status"] == "active"  # resumed after its suspend, whatever the base says
    assert result["S3"]["subscriber_status"] == "suspended"  # no events: the base's status


def test_in_network_filter_tenure_and_termination(con: Any) -> None:
    base = [
        line("OLD", terminated_date=date(2026, 5, 31), subscriber_status="terminated"),
        line("LEFT", terminated_date=date(2026, 6, 10), subscriber_status="terminated"),
        line("LATER", terminated_date=date(2026, 7, 2), subscriber_status="terminated"),
        line("NEW", activated_date=date(2026, 7, 1)),
        line("S1", activated_date=date(2025, 6, 30), contract_end_date=date(2027, 1, 15)),
        line("S2", activated_date=date(2024, 7, 31), contract_end_date=date(2026, 6, 1)),
    ]
    events = [event("handset_change", date(2025, 10, 1), subscriber_id="S1", handset_age_months=30)]
    result = features(con, base=base, events=events)
    assert sorted(result) == ["LATER", "LEFT", "S1", "S2"]
    assert (result["LEFT"]["subscriber_status"], result["LEFT"]["terminated_in_month"]) == ("terminated", True)
    assert (result["LATER"]["subscriber_status"], result["LATER"]["terminated_in_month"]) == ("active", False)
    assert result["S1"]["tenure_months"] == 12
    assert result["S2"]["tenure_months"] == 23  # 31 July 2024 to 30 June 2026: a month's end completes it
    assert (result["S1"]["contract_months_left"], result["S2"]["contract_months_left"]) == (7, 0)
    assert result["LEFT"]["contract_months_left"] is None
    assert (result["S1"]["handset_age_months"], result["S2"]["handset_age_months"]) == (8, None)


def test_deposits_over_twelve_months(con: Any) -> None:
    topups = [
        {
            "subscriber_id": "S1",
            "topup_time": datetime(2025, 7, 1, 9),
            "topup_date": date(2025, 7, 1),
            "amount_fen": 5_000,
        },
        {
            "subscriber_id": "S1",
            "topup_time": datetime(2025, 6, 30, 9),
            "topup_date": date(2025, 6, 30),
            "amount_fen": 7_000,
        },  # 12 months and a day ago
        {
            "subscriber_id": "S1",
            "topup_time": datetime(2026, 6, 30, 23),
            "topup_date": date(2026, 6, 30),
            "amount_fen": 3_000,
        },
    ]
    assert features(con, base=[line()], topups=topups)["S1"]["deposit_fen_12m"] == 8_000
