"""The synthetic operator behaves like the brief's operator: segment mix, churn rate, warning signs before leaving."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from telcocrm.kit.months import add_months, window
from tests.synth.conftest import END_MONTH, MONTHS

MONTH_NAMES = window(END_MONTH, MONTHS)


def _rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def test_segment_mix_is_sensible(parquet_run: Path) -> None:
    truth = _rows(parquet_run / "truth" / "subscribers.parquet")
    segment_of = {row["customer_code"]: row["segment"] for row in truth}
    mix = Counter(segment_of.values())
    customers = sum(mix.values())
    assert 0.03 < mix["government_enterprise"] / customers < 0.08
    assert 0.25 < mix["family"] / customers < 0.45
    assert 0.5 < mix["personal"] / customers < 0.7
    accounts = Counter(row["account_type"] for row in _rows(parquet_run / "customers.parquet"))
    assert set(accounts) == {"individual", "family_primary", "family_secondary", "group_master", "group_sub"}


def test_organisations_spend_much_more_and_a_few_above_3000_a_month(parquet_run: Path) -> None:
    truth = {row["subscriber_id"]: row for row in _rows(parquet_run / "truth" / "subscribers.parquet")}
    bills = _rows(parquet_run / END_MONTH / "bills.parquet")
    per_customer: dict[str, float] = defaultdict(float)
    segment: dict[str, str] = {}
    for bill in bills:
        line = truth[bill["subscriber_id"]]
        per_customer[line["customer_code"]] += float(bill["billed_amount"])
        segment[line["customer_code"]] = line["segment"]
    persons = sorted(v for k, v in per_customer.items() if segment[k] == "personal")
    orgs = sorted(v for k, v in per_customer.items() if segment[k] == "government_enterprise")
    assert 40 < persons[len(persons) // 2] < 120  # median person spend, CNY
    assert orgs[len(orgs) // 2] > 3 * persons[len(persons) // 2]
    assert any(v > 3000 for v in orgs)


def test_churn_rate_and_destinations(parquet_run: Path) -> None:
    churn = _rows(parquet_run / "truth" / "churn.parquet")
    lines = len(_rows(parquet_run / "truth" / "subscribers.parquet"))
    monthly = len(churn) / lines / MONTHS
    assert 0.01 <= monthly <= 0.025
    own = [row for row in churn if row["destination"] == "own_product"]
    assert 0.2 < len(own) / len(churn) < 0.45
    # An own-product leaver's customer opens a new line around the leaving month.
    customers = _rows(parquet_run / "customers.parquet")
    opened = {(r["customer_code"], r["activated_date"][:7]) for r in customers}
    near = sum(
        (r["customer_code"], r["left_month"]) in opened
        or (r["customer_code"], add_months(str(r["left_month"]), -1)) in opened
        for r in own
    )
    assert near == len(own)


def _signs_by_month(root: Path) -> dict[tuple[str, str], int]:
    """Warning signs seen in the extracts per (subscriber, month): the churn model's inputs (brief §8)."""
    signs: Counter[tuple[str, str]] = Counter()
    for month in MONTH_NAMES:
        for event in _rows(root / month / "events.parquet"):
            kind = event["kind"]
            downgrade = kind == "plan_change" and event["new_plan_fee"] < event["old_plan_fee"]
            if kind in ("suspend", "complaint", "port_out_query") or downgrade:
                signs[(str(event["subscriber_id"]), month)] += 1
        for usage in _rows(root / month / "usage.parquet"):
            if usage["forwarded_offnet_calls"] >= 5:
                signs[(str(usage["subscriber_id"]), month)] += 1
    return signs


def test_leavers_show_more_warning_signs_than_stayers(parquet_run: Path) -> None:
    truth = _rows(parquet_run / "truth" / "subscribers.parquet")
    signs = _signs_by_month(parquet_run)
    leaver_rates, stayer_rates = [], []
    for line in truth:
        subscriber = str(line["subscriber_id"])
        if line["churned"]:
            left = MONTH_NAMES.index(str(line["left_month"]))
            before = MONTH_NAMES[max(left - 3, 0) : left + 1]
            leaver_rates.append(sum(signs[(subscriber, m)] for m in before) / len(before))
        elif not line["own_product_line"]:
            stayer_rates.append(sum(signs[(subscriber, m)] for m in MONTH_NAMES) / MONTHS)
    leaver_mean = sum(leaver_rates) / len(leaver_rates)
    stayer_mean = sum(stayer_rates) / len(stayer_rates)
    assert len(leaver_rates) > 200
    assert leaver_mean > 4 * stayer_mean, (leaver_mean, stayer_mean)
    # Signals, not labels: some leavers show nothing, some stayers show something.
    assert 0.05 < sum(rate == 0 for rate in leaver_rates) / len(leaver_rates) < 0.5
    assert sum(rate > 0 for rate in stayer_rates) > 0.02 * len(stayer_rates)


def test_leavers_bills_fall_before_they_leave(parquet_run: Path) -> None:
    churn = {row["subscriber_id"]: row for row in _rows(parquet_run / "truth" / "churn.parquet")}
    billed: dict[tuple[str, str], float] = {}
    for month in MONTH_NAMES:
        for bill in _rows(parquet_run / month / "bills.parquet"):
            billed[(str(bill["subscriber_id"]), month)] = float(bill["billed_amount"])
    ratios = []
    for subscriber, row in churn.items():
        left = MONTH_NAMES.index(str(row["left_month"]))
        if row["warning_months"] and left >= 4:
            early, late = (
                billed.get((str(subscriber), MONTH_NAMES[left - 4])),
                billed.get((str(subscriber), MONTH_NAMES[left - 1])),
            )
            if early and late is not None:
                ratios.append(late / early)
    assert len(ratios) > 20
    assert sorted(ratios)[len(ratios) // 2] < 0.9


def test_integrity_records_are_rare_and_of_every_kind(parquet_run: Path) -> None:
    records = [row for month in MONTH_NAMES for row in _rows(parquet_run / month / "integrity.parquet")]
    kinds = Counter(row["kind"] for row in records)
    assert {"written_off_arrears", "bounced_payment"} <= set(kinds)
    customers = {row["customer_code"] for row in _rows(parquet_run / "customers.parquet")}
    assert len({row["customer_code"] for row in records}) < 0.1 * len(customers)
    late = [row for row in _rows(parquet_run / "truth" / "subscribers.parquet") if row["late_payer"]]
    assert 0.03 < len(late) / len(customers) < 0.2
