"""A good month of billing extracts lands whole in the analytics store, in the stored form, and can be read back."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from telcocrm.analytics.catalogue import catalogue_path
from telcocrm.analytics.schemas import EXTRACTS
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.extracts.contract import TABLES, Kind
from telcocrm.extracts.ingest import ingest_month
from telcocrm.models import AuditRecord

from .conftest import EXAMPLES, MONTH

EXAMPLE_ROWS = {"bills": 6, "usage": 6, "events": 5, "integrity": 1, "topups": 3, "referrals": 2}


def stored(store: AnalyticsStore, table: str) -> list[dict[str, object]]:
    return pq.read_table(store.extract_path(MONTH, table)).to_pylist()


def by_subscriber(store: AnalyticsStore, table: str) -> dict[str, dict[str, object]]:
    return {str(row["subscriber_id"]): row for row in stored(store, table)}


def test_the_example_month_lands_whole_in_the_stored_form(store: AnalyticsStore, known: Engine) -> None:
    report = ingest_month(EXAMPLES / MONTH, MONTH, engine=known)
    assert report.rows == EXAMPLE_ROWS
    assert report.subscriber_months == 6 and report.subscriber_months_per_second > 0
    assert store.months() == [MONTH]
    for name, schema in EXTRACTS.items():
        assert pq.read_schema(store.extract_path(MONTH, name)) == schema, name
    unpaid = by_subscriber(store, "bills")["U3001"]
    assert unpaid["paid_fen"] == 0 and unpaid["paid_date"] is None


def test_the_catalogue_has_a_view_per_extract_over_every_month(store: AnalyticsStore, known: Engine) -> None:
    ingest_month(EXAMPLES / MONTH, MONTH, engine=known)
    con = duckdb.connect(str(catalogue_path(store)), read_only=True)
    try:
        counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone() for name in EXTRACTS}
        billed = con.execute("SELECT sum(billed_fen) FROM bills").fetchone()
    finally:
        con.close()
    assert counts == {name: (rows,) for name, rows in EXAMPLE_ROWS.items()}
    assert billed == (5800 + 9900 + 18850 + 3629 + 12900 + 325000,)


def test_amounts_become_fen_exactly(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    bills = folder / "bills.csv"
    bills.write_text(bills.read_text().replace("U3001,2026-10,36.29", "U3001,2026-10,0.29"))
    ingest_month(folder, MONTH, engine=known)
    billed = {sid: row["billed_fen"] for sid, row in by_subscriber(store, "bills").items()}
    assert billed["U3001"] == 29  # 0.29 is not exact in binary floating point
    assert billed["U1002"] == 9900  # written `99`
    assert billed["U2001"] == 18850  # written `188.50`
    assert [row["amount_fen"] for row in stored(store, "topups")] == [10000, 5000, 20000]  # `50` → 5000


def test_times_with_an_offset_become_local_and_times_without_stay(store: AnalyticsStore, known: Engine) -> None:
    ingest_month(EXAMPLES / MONTH, MONTH, engine=known)
    events = {(row["subscriber_id"], row["kind"]): row for row in stored(store, "events")}
    utc = events[("U4001", "port_out_query")]  # 2026-10-20T02:05:00Z
    assert utc["event_time"] == datetime(2026, 10, 20, 10, 5)
    west = events[("U2001", "handset_change")]  # 2026-10-30T17:00:00-02:00: the next day in Shanghai
    assert (west["event_time"], west["event_date"]) == (datetime(2026, 10, 31, 3, 0), date(2026, 10, 31))
    local = events[("U4001", "complaint")]  # 2026-10-12T20:15:42, already local
    assert local["event_time"] == datetime(2026, 10, 12, 20, 15, 42)
    assert events[("U3001", "plan_change")]["old_plan_fee_fen"] == 3900


def test_ingesting_a_month_again_replaces_it(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    ingest_month(folder, MONTH, engine=known)
    (folder / "topups.csv").write_text("subscriber_id,topup_time,amount\nU1001,2026-10-02T10:00:00,30\n")
    report = ingest_month(folder, MONTH, engine=known)
    assert report.rows == EXAMPLE_ROWS | {"topups": 1}
    assert len(stored(store, "bills")) == 6
    assert stored(store, "topups") == [
        {
            "subscriber_id": "U1001",
            "topup_time": datetime(2026, 10, 2, 10),
            "topup_date": date(2026, 10, 2),
            "amount_fen": 3000,
        }
    ]
    assert store.months() == [MONTH]
    assert not any((store.root / ".staging").iterdir())


def test_header_only_csv_and_empty_parquet_are_empty_tables(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    (folder / "integrity.csv").write_text("customer_code,event_date,kind,amount\n")  # subscriber_id is optional
    (folder / "topups.csv").unlink()
    pq.write_table(
        pa.table(
            {
                "subscriber_id": pa.array([], pa.string()),
                "topup_time": pa.array([], pa.string()),
                "amount": pa.array([], pa.string()),
            }
        ),
        folder / "topups.parquet",
    )
    report = ingest_month(folder, MONTH, engine=known)
    assert report.rows["integrity"] == 0 and report.rows["topups"] == 0
    assert (
        stored(store, "integrity") == [] and pq.read_schema(store.extract_path(MONTH, "topups")) == EXTRACTS["topups"]
    )


def test_csv_and_typed_parquet_of_the_same_data_land_identically(
    store: AnalyticsStore, known: Engine, tmp_path: Path
) -> None:
    ingest_month(EXAMPLES / MONTH, MONTH, engine=known)
    from_csv = {name: stored(store, name) for name in EXTRACTS}
    typed = tmp_path / "typed"
    typed.mkdir()
    for name in TABLES:
        pq.write_table(typed_table(name), typed / f"{name}.parquet")
    ingest_month(typed, MONTH, engine=known)
    assert {name: stored(store, name) for name in EXTRACTS} == from_csv


def typed_table(name: str) -> pa.Table:
    """The example CSV as Parquet of the contract's types: decimals, date32, integers, times with a zone."""
    text = pacsv.read_csv(
        EXAMPLES / MONTH / f"{name}.csv",
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys([c.name for c in TABLES[name].columns], pa.string())
        ),
    )
    columns = {}
    for column in TABLES[name].columns:
        if column.name not in text.column_names:
            continue
        values = [value or None for value in text[column.name].to_pylist()]
        columns[column.name] = {
            Kind.MONEY: lambda v: pa.array(v, pa.string()).cast(pa.decimal128(12, 2)),
            Kind.COUNT: lambda v: pa.array([None if x is None else int(x) for x in v], pa.int32()),
            Kind.DATE: lambda v: pa.array(v, pa.string()).cast(pa.date32()),
            Kind.TIME: lambda v: pa.array([None if x is None else aware(x) for x in v], pa.timestamp("ms", tz="UTC")),
        }.get(column.kind, lambda v: pa.array(v, pa.string()))(values)
    return pa.table(columns)


def aware(text: str) -> datetime:
    """A written time as an instant: with its offset, or local (Asia/Shanghai) when it has none."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_cli_ingests_prints_the_report_and_records_an_audit_entry(
    store: AnalyticsStore, known: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from telcocrm.cli import app

    monkeypatch.setattr("telcocrm.db.engine.get_engine", lambda: known)  # the command's database: the test's
    result = CliRunner().invoke(app, ["ingest", str(EXAMPLES / MONTH), "--month", MONTH])
    assert result.exit_code == 0, result.output
    assert "subscriber-months/s" in result.output
    with Session(known) as db:
        audit = db.execute(select(AuditRecord).where(AuditRecord.action == "extracts.ingest")).scalar_one()
    assert (audit.resource_id, audit.detail["bills"]) == (MONTH, 6)
