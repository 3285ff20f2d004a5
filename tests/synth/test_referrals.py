"""The synthetic operator's referrals: a few new lines a month, each brought by another customer of its city."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from telcocrm.kit.months import month_end, month_start, window
from tests.synth.conftest import END_MONTH, MONTHS


def test_referred_lines_are_new_that_month_and_referred_by_another_customer_of_their_city(parquet_run: Path) -> None:
    columns = ["customer_code", "subscriber_id", "city", "activated_date"]
    lines = pq.read_table(parquet_run / "customers.parquet", columns=columns).to_pylist()
    line_of = {row["subscriber_id"]: row for row in lines}
    city_of = {row["customer_code"]: row["city"] for row in lines}
    referred: list[str] = []
    for month in window(END_MONTH, MONTHS):
        first, last = month_start(month), month_end(month)
        rows = pq.read_table(parquet_run / month / "referrals.parquet").to_pylist()
        for row in rows:
            line = line_of[row["referred_subscriber_id"]]
            assert first <= row["referral_date"] <= last
            assert first <= date.fromisoformat(str(line["activated_date"])) <= last, "a line new that month"
            assert row["referrer_customer_code"] != line["customer_code"], "never the line's own customer"
            assert city_of[row["referrer_customer_code"]] == line["city"]
        referred += [row["referred_subscriber_id"] for row in rows]
    assert len(referred) == len(set(referred)), "a line is referred once"
    assert 0 < len(referred) < 0.05 * len(lines), "a few lines, not most"
