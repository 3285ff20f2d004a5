"""`telcocrm results export`: a month's subscriber results copied out for analysts, as Parquet or CSV."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore


def export(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"TELCOCRM_DATA_DIR": str(data_dir), "TELCOCRM_ENVIRONMENT": "test"}
    return subprocess.run(
        [sys.executable, "-m", "telcocrm.cli", "results", "export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def result_row(subscriber: str, customer: str, rating: str) -> dict[str, Any]:
    return {
        "month": "2026-10",
        "rules_version": "2026-11-22#abcd1234",
        "subscriber_id": subscriber,
        "customer_code": customer,
        "credit_rating": rating,
        "credit_reason": '逾期, 30天 / 30 days late, "twice"',
        "overdraft_limit_fen": 12_345,
        "rental_eligible": rating == "A",
        "lifecycle_stage": "stable",
    }


def run_results(data_dir: Path) -> pa.Table:
    """A hand-made results file where the monthly run would have left it."""
    rows = [result_row("S1", "000000000011", "A"), result_row("S2", "000000000011", "C")]
    table = pa.table({f.name: [r.get(f.name) for r in rows] for f in schemas.SUBSCRIBER_RESULTS})
    table = table.cast(schemas.SUBSCRIBER_RESULTS)
    path = AnalyticsStore(data_dir / "analytics").result_path("2026-10", "subscriber_results")
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    return table


def test_export_copies_the_months_results_as_parquet(tmp_path: Path) -> None:
    written = run_results(tmp_path)
    out = tmp_path / "out" / "october.parquet"

    done = export(tmp_path, "--month", "2026-10", str(out))

    assert done.returncode == 0, done.stderr
    assert "2 subscribers" in done.stdout
    exported = pq.read_table(out)
    assert exported.schema.equals(schemas.SUBSCRIBER_RESULTS)
    assert exported.equals(written)


def test_export_as_csv_keeps_every_column_and_quotes_commas(tmp_path: Path) -> None:
    run_results(tmp_path)
    out = tmp_path / "october.txt"

    done = export(tmp_path, "--month", "2026-10", "--format", "csv", str(out))

    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == schemas.SUBSCRIBER_RESULTS.names
    assert [(r["subscriber_id"], r["credit_rating"], r["overdraft_limit_fen"]) for r in rows] == [
        ("S1", "A", "12345"),
        ("S2", "C", "12345"),
    ]
    assert rows[0]["credit_reason"] == '逾期, 30天 / 30 days late, "twice"'


def test_a_month_never_run_is_a_clear_refusal(tmp_path: Path) -> None:
    run_results(tmp_path)
    out = tmp_path / "september.parquet"

    done = export(tmp_path, "--month", "2026-09", str(out))

    assert done.returncode == 2
    assert "2026-09" in done.stderr and "has not been run" in done.stderr.replace("\n", " ")
    assert not out.exists()


def test_a_malformed_month_is_refused(tmp_path: Path) -> None:
    done = export(tmp_path, "--month", "2026-13", str(tmp_path / "x.parquet"))

    assert done.returncode == 2
    assert "YYYY-MM" in done.stderr
