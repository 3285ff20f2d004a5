"""The synthetic operator's files: deterministic, in the documented formats, consistent with each other."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from typer.testing import CliRunner

from telcocrm.cli import app
from telcocrm.customers.rules import is_valid_customer_code
from telcocrm.imports import validate_customer_file
from telcocrm.kit.months import month_end, month_start, window
from telcocrm.synth.output import EXTRACT_FORMATS, csv_ready
from tests.synth.conftest import END_MONTH, MONTHS

MONTH_NAMES = window(END_MONTH, MONTHS)
TABLES = tuple(EXTRACT_FORMATS)
MONEY_COLUMNS = {
    "bills": ("billed_amount", "paid_amount"),
    "usage": ("plan_fee",),
    "events": ("old_plan_fee", "new_plan_fee"),
    "integrity": ("amount",),
    "topups": ("amount",),
    "referrals": (),
}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _table(root: Path, month: str, name: str) -> pa.Table:
    return pq.read_table(root / month / f"{name}.parquet")


def test_same_arguments_give_the_same_bytes(parquet_run: Path, second_parquet_run: Path) -> None:
    files = _files(parquet_run)
    assert [p.relative_to(parquet_run) for p in files] == [
        p.relative_to(second_parquet_run) for p in _files(second_parquet_run)
    ]
    assert len(files) == 1 + MONTHS * len(TABLES) + 2
    for path in files:
        assert path.read_bytes() == (second_parquet_run / path.relative_to(parquet_run)).read_bytes(), path


def test_extracts_have_the_input_format(parquet_run: Path) -> None:
    for month in MONTH_NAMES:
        for name in TABLES:
            table = _table(parquet_run, month, name)
            assert table.schema == EXTRACT_FORMATS[name], (month, name)
            for column in MONEY_COLUMNS[name]:
                assert pc.min(table[column]).as_py() is None or pc.min(table[column]).as_py() >= 0, (name, column)
            if "month" in table.column_names:
                assert set(table["month"].to_pylist()) <= {month}


def test_paid_never_exceeds_billed_and_unpaid_bills_have_no_paid_date(parquet_run: Path) -> None:
    for month in MONTH_NAMES:
        bills = _table(parquet_run, month, "bills").to_pylist()
        assert bills
        for bill in bills:
            assert bill["paid_amount"] <= bill["billed_amount"]
            if bill["paid_date"] is None:
                assert bill["paid_amount"] == 0
            assert bill["due_date"] > month_end(month)
            assert bill["paid_date"] is None or bill["paid_date"] <= month_end(END_MONTH)


def test_times_and_dates_fall_inside_the_folder_month(parquet_run: Path) -> None:
    for month in MONTH_NAMES:
        first, last = month_start(month), month_end(month)
        for name, column in (("events", "event_time"), ("topups", "topup_time")):
            times = _table(parquet_run, month, name)[column].to_pylist()
            assert all(first <= t.date() <= last for t in times), (month, name)
            assert all(t.utcoffset().total_seconds() == 8 * 3600 for t in times)
        integrity = _table(parquet_run, month, "integrity")["event_date"].to_pylist()
        assert all(first <= d <= last for d in integrity)


def test_every_extract_row_names_a_known_subscriber_and_customer(parquet_run: Path) -> None:
    customers = pq.read_table(parquet_run / "customers.parquet")
    subscribers = set(customers["subscriber_id"].to_pylist())
    codes = set(customers["customer_code"].to_pylist())
    assert customers.num_rows == len(subscribers)
    assert all(re.fullmatch(r"S\d{10}", s) for s in subscribers)
    assert all(is_valid_customer_code(code) for code in codes)
    for month in MONTH_NAMES:
        for name in TABLES:
            table = _table(parquet_run, month, name)
            column = "referred_subscriber_id" if name == "referrals" else "subscriber_id"
            assert set(pc.drop_null(table[column]).to_pylist()) <= subscribers, (month, name)
        assert set(_table(parquet_run, month, "integrity")["customer_code"].to_pylist()) <= codes
        assert set(_table(parquet_run, month, "referrals")["referrer_customer_code"].to_pylist()) <= codes


def test_customers_file_is_accepted_by_the_import(parquet_run: Path) -> None:
    assert validate_customer_file(parquet_run / "customers.parquet") == []


def test_customers_file_is_the_state_at_the_end_of_the_window(parquet_run: Path) -> None:
    rows = pq.read_table(parquet_run / "customers.parquet").to_pylist()
    window_start = month_start(MONTH_NAMES[0]).isoformat()
    statuses = {row["subscriber_status"] for row in rows}
    assert statuses == {"active", "suspended", "terminated"}
    for row in rows:
        terminated = row["subscriber_status"] == "terminated"
        assert bool(row["terminated_date"]) == terminated
        if terminated:
            assert window_start <= row["terminated_date"] <= month_end(END_MONTH).isoformat()
    joined_inside = [r for r in rows if r["activated_date"] >= window_start]
    assert 0.03 * len(rows) < len(joined_inside) < 0.3 * len(rows)
    assert {r["brand"] for r in rows} == {
        "xinshikong", "up_xinshili", "shijiefeng", "ruyitong", "jituan", "shangwu_linghang", "wode_ejia"
    }  # fmt: skip
    assert all(r["brand"] == "ruyitong" for r in rows if r["payment_method"] == "prepaid" and r["product"] == "mobile")


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as the text a CSV carries, empty for null."""
    ready = csv_ready(table)
    return pa.table([pc.fill_null(c.cast(pa.string()), "") for c in ready.columns], names=ready.column_names)


def _read_csv(path: Path, names: list[str]) -> pa.Table:
    options = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False)
    return pacsv.read_csv(path, convert_options=options)


def test_csv_and_parquet_carry_the_same_data(parquet_run: Path, csv_run: Path) -> None:
    for month in (MONTH_NAMES[0], MONTH_NAMES[-1]):
        for name in TABLES:
            parquet = _table(parquet_run, month, name)
            csv = _read_csv(csv_run / month / f"{name}.csv", parquet.column_names)
            assert csv.equals(_as_text(parquet)), (month, name)
    parquet = pq.read_table(parquet_run / "customers.parquet")
    assert _read_csv(csv_run / "customers.csv", parquet.column_names).equals(parquet)


def test_csv_writes_amounts_dates_and_times_as_documented(csv_run: Path) -> None:
    text = (csv_run / END_MONTH / "events.csv").read_text(encoding="utf-8")
    assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00", text)
    bills = (csv_run / END_MONTH / "bills.csv").read_text(encoding="utf-8").splitlines()
    header = bills[0].replace('"', "").split(",")
    for line in bills[1:50]:
        values = dict(zip(header, line.replace('"', "").split(","), strict=True))
        assert re.fullmatch(r"\d+\.\d{2}", values["billed_amount"])
        assert date.fromisoformat(values["due_date"])


def test_command_help_and_a_small_run(tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["synth", "--help"])
    assert shown.exit_code == 0 and "--subscribers" in shown.output and "--end-month" in shown.output
    done = runner.invoke(
        app, ["synth", "--subscribers", "50", "--months", "2", "--seed", "1", "--end-month", "2026-01", str(tmp_path)]
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "2025-12" / "bills.parquet").exists() and (tmp_path / "truth" / "churn.parquet").exists()
    refused = runner.invoke(app, ["synth", "--subscribers", "5", "--end-month", "2026-13", str(tmp_path)])
    assert refused.exit_code == 2


def test_rows_drawn_twice_in_the_same_second_are_kept_once() -> None:
    import numpy as np

    from telcocrm.synth.months import _sorted

    columns = {"line": np.array([2, 1, 2, 2]), "time": np.array([50, 9, 50, 50]), "amount": np.array([10, 5, 10, 20])}
    kept = _sorted(columns, "line", "time")
    assert [tuple(int(v[i]) for v in kept.values()) for i in range(len(kept["line"]))] == [
        (1, 9, 5),
        (2, 50, 10),
        (2, 50, 20),  # same second, another amount: a second top-up, kept
    ]
