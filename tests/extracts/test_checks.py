"""A month with any bad row is refused whole, naming the file, row and field of every problem; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.errors import InvalidInput
from telcocrm.extracts.ingest import ingest_month
from telcocrm.imports.problems import ImportRefused, Problem

from .conftest import MONTH, files

# The example month's rows: bills.csv and usage.csv line 2 U1001, 3 U1002, 4 U2001, 5 U3001, 6 U4001, 7 U5001;
# events.csv 2 U3001 plan_change, 3 U4001 complaint …; integrity.csv 2; topups.csv 2 and 3 U1001, 4 U1002.


def refused(folder: Path, engine: Engine, store: AnalyticsStore) -> ImportRefused:
    """The refusal of the month, after checking that the store was left exactly as it was."""
    before = files(store)
    with pytest.raises(ImportRefused) as caught:
        ingest_month(folder, MONTH, engine=engine)
    assert isinstance(caught.value, InvalidInput)
    assert files(store) == before
    return caught.value


def where(refusal: ImportRefused) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.field) for p in refusal.problems]


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CASES = {
    # schema
    "missing column": ("bills.csv", ",payment_method\n", "\n", ("bills.csv", 1, "payment_method")),
    "unknown column": ("usage.csv", ",plan_fee\n", ",plan_fee,bonus\n", ("usage.csv", 1, "bonus")),
    "repeated column": ("topups.csv", "topup_time,amount", "topup_time,amount,amount", ("topups.csv", 1, "amount")),
    # types
    "three decimals": ("bills.csv", "U1001,2026-10,58.00", "U1001,2026-10,58.001", ("bills.csv", 2, "billed_amount")),
    "amount with a comma": ("topups.csv", "+08:00,100.00", '+08:00,"1,000"', ("topups.csv", 2, "amount")),
    "fractional count": ("usage.csv", "U1001,2026-10,312", "U1001,2026-10,312.5", ("usage.csv", 2, "voice_minutes")),
    "no such day": ("bills.csv", "99,2026-11-15", "99,2026-11-31", ("bills.csv", 3, "due_date")),
    "no such hour": ("events.csv", "2026-10-12T20:15:42", "2026-10-12T25:15:42", ("events.csv", 3, "event_time")),
    "empty required": ("usage.csv", "U2001,2026-10,820", ",2026-10,820", ("usage.csv", 4, "subscriber_id")),
    # ranges
    "negative amount": (
        "topups.csv",
        "U1002,2026-10-03T14:22:05+08:00,200.00",
        "U1002,2026-10-03T14:22:05+08:00,-200",
        ("topups.csv", 4, "amount"),
    ),
    "negative count": ("usage.csv", ",57,0,58.00", ",57,-1,58.00", ("usage.csv", 2, "roaming_days")),
    "paid above billed": (
        "bills.csv",
        "129.00,2026-11-15,50,",
        "129.00,2026-11-15,130,",
        ("bills.csv", 6, "paid_amount"),
    ),
    "offnet above voice": (
        "usage.csv",
        "U3001,2026-10,45,10",
        "U3001,2026-10,45,46",
        ("usage.csv", 5, "offnet_voice_minutes"),
    ),
    "forwarded offnet above forwarded": (
        "usage.csv",
        ",22,25,21,",
        ",22,25,26,",
        ("usage.csv", 6, "forwarded_offnet_calls"),
    ),
    "event kind": ("events.csv", ",complaint,", ",complain,", ("events.csv", 3, "kind")),
    "integrity kind": ("integrity.csv", ",bounced_payment,", ",bounced,", ("integrity.csv", 2, "kind")),
    "payment method": (
        "bills.csv",
        ",2026-11-10,bank_collection",
        ",2026-11-10,bank",
        ("bills.csv", 4, "payment_method"),
    ),
    # dates
    "another month": ("usage.csv", "U5001,2026-10,", "U5001,2026-09,", ("usage.csv", 7, "month")),
    "event after the month once local": (
        "events.csv",
        "2026-10-30T17:00:00-02:00",
        "2026-10-31T17:00:00-02:00",
        ("events.csv", 5, "event_time"),
    ),
    "top-up before the month": (
        "topups.csv",
        "2026-10-01T08:12:30+08:00",
        "2026-10-01T00:30:00+09:00",
        ("topups.csv", 2, "topup_time"),
    ),
    "integrity date outside": ("integrity.csv", "2026-10-25", "2026-11-01", ("integrity.csv", 2, "event_date")),
    "due before the month": ("bills.csv", "36.29,2026-11-15", "36.29,2026-09-30", ("bills.csv", 5, "due_date")),
    "paid without a date": ("bills.csv", "58.00,2026-10-31,prepaid", "58.00,,prepaid", ("bills.csv", 2, "paid_date")),
    "a date without payment": ("bills.csv", "0.00,,cash", "0.00,2026-11-01,cash", ("bills.csv", 5, "paid_date")),
    # the operational database
    "unknown subscriber": ("topups.csv", "U1002,", "U9999,", ("topups.csv", 4, "subscriber_id")),
    "unknown customer code": ("integrity.csv", "000000000045,", "000000000067,", ("integrity.csv", 2, "customer_code")),
    "unknown subscriber on integrity": ("integrity.csv", ",U4001,", ",U4002,", ("integrity.csv", 2, "subscriber_id")),
    # duplicates
    "second bill of a subscriber": (
        "bills.csv",
        "U1002,2026-10,99",
        "U1001,2026-10,99",
        ("bills.csv", 3, "subscriber_id"),
    ),
    "second usage row": ("usage.csv", "U1002,2026-10,0,", "U1001,2026-10,0,", ("usage.csv", 3, "subscriber_id")),
    "the same top-up twice": (
        "topups.csv",
        "U1002,2026-10-03T14:22:05+08:00,200.00",
        "U1001,2026-10-01T08:12:30+08:00,100.00",
        ("topups.csv", 4, ""),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_kind_of_problem_refuses_the_month_naming_file_row_and_field(
    case: tuple[str, str, str, tuple[str, int, str]], store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    name, old, new, expected = case
    edit(folder, name, old, new)
    assert where(refused(folder, known, store)) == [expected]


def test_the_same_event_twice_is_refused_whole_row(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    path = folder / "events.csv"
    path.write_text(path.read_text() + "U3001,2026-10-05T01:30:00Z,plan_change,39.00,19.00,,套餐降档 / cheaper plan\n")
    # The same moment written in UTC: after conversion it is row 2 again.
    refusal = refused(folder, known, store)
    assert where(refusal) == [("events.csv", 7, "")]
    assert "the first is row 2" in refusal.problems[0].reason


def test_a_missing_file_and_a_table_given_twice_are_refused(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    (folder / "events.csv").unlink()
    pq.write_table(pa.table({"subscriber_id": pa.array([], pa.string())}), folder / "usage.parquet")
    assert where(refused(folder, known, store)) == [("events.*", 0, ""), ("usage.*", 0, "")]


def test_problems_of_every_file_are_listed_and_counted_beyond_the_first_thousand(
    store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    edit(folder, "bills.csv", "U1001,2026-10,58.00", "U1001,2026-10,5.8.00")
    rows = "".join(f"U1001,2026-10-01T08:{m % 60:02d}:{m // 60:02d},1x\n" for m in range(1500))
    (folder / "topups.csv").write_text("subscriber_id,topup_time,amount\n" + rows)
    refusal = refused(folder, known, store)
    assert refusal.total == 1501 and len(refusal.problems) == 1000
    assert ("bills.csv", 2, "billed_amount") in where(refusal)
    assert where(refusal)[1] == ("topups.csv", 2, "amount")


def test_parquet_rows_are_numbered_from_one_and_its_column_types_are_checked(
    store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    (folder / "topups.csv").unlink()
    times = pa.array(["2026-10-02T10:00:00", "2026-10-02T11:00:00"])
    pq.write_table(
        pa.table({"subscriber_id": ["U1001", "U1002"], "topup_time": times, "amount": ["1.00", "x"]}),
        folder / "topups.parquet",
    )
    assert where(refused(folder, known, store)) == [("topups.parquet", 2, "amount")]
    pq.write_table(
        pa.table({"subscriber_id": ["U1001"], "topup_time": times[:1], "amount": pa.array([1.0], pa.float64())}),
        folder / "topups.parquet",
    )
    refusal = refused(folder, known, store)
    assert where(refusal) == [("topups.parquet", 0, "amount")]  # float money is never exact: the column is refused
    assert "double" in refusal.problems[0].reason


def test_a_refused_month_leaves_the_month_already_ingested(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    ingest_month(folder, MONTH, engine=known)
    before = pq.read_table(store.extract_path(MONTH, "bills"))
    edit(folder, "bills.csv", "U1001,2026-10,58.00", "U1001,2026-10,-58.00")
    refused(folder, known, store)
    assert pq.read_table(store.extract_path(MONTH, "bills")).equals(before)


def test_a_malformed_csv_row_and_a_bad_month_argument(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    edit(folder, "integrity.csv", "129.00\n", "129.00,extra\n")
    assert where(refused(folder, known, store)) == [("integrity.csv", 2, "")]
    with pytest.raises(InvalidInput):
        ingest_month(folder, "2026-13", engine=known)


def test_the_cli_prints_the_problems_and_exits_1(
    store: AnalyticsStore, known: Engine, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from telcocrm.cli import app

    monkeypatch.setattr("telcocrm.db.engine.get_engine", lambda: known)
    edit(folder, "usage.csv", "U5001,2026-10,", "U5001,2026-09,")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--month", MONTH])
    assert result.exit_code == 1
    assert "usage.csv" in result.output and "1 problem(s)" in result.output


def test_problems_read_as_file_line_field_reason() -> None:
    assert str(Problem(3, "amount", "bad", "topups.csv")) == "topups.csv line 3, amount: bad"


def test_unknown_subscribers_are_named_by_row_in_every_batch_of_a_large_file(
    store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    # Codes are looked up once the whole table is read (extracts.checks.CodeLookups): rows of the first and of a
    # later batch (a Parquet file is read 131,072 rows at a time) are both named by their own row number.
    rows = 140_000
    lines = ["U1001"] * rows
    lines[9], lines[135_000] = "U9998", "U9999"
    times = [
        f"2026-10-{1 + n // 86_400:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}+08:00" for n in range(rows)
    ]
    (folder / "topups.csv").unlink()
    pq.write_table(
        pa.table({"subscriber_id": lines, "topup_time": times, "amount": ["10.00"] * rows}),
        folder / "topups.parquet",
    )
    expected = [("topups.parquet", 10, "subscriber_id"), ("topups.parquet", 135_001, "subscriber_id")]
    assert where(refused(folder, known, store)) == expected
