"""The benchmark's references (hand-written DuckDB SQL, pandas) give exactly the Ibis run's rows.

One synthetic operator per module, its last two months run with `telcocrm run-month` (so the last month reads the
month before's credit results); each reference then runs on the last month's results folder and must give the
same rows as the run, table by table, sorted by key, column by column. With a changed rules file all three change
alike: the thresholds are read from the same rules objects.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from benchmarks.reference.duckdb_sql import sql_reference_tables
from benchmarks.reference.ibis_run import run_ibis
from benchmarks.reference.inputs import KEYS, TABLES, read_outputs
from benchmarks.reference.pandas_frames import pandas_reference_tables
from sqlalchemy import Engine

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.jobs.rules import MonthlyRules, load_rules
from tests.conftest import empty_database

SUBSCRIBERS = 1500
MONTHS = 4
END_MONTH = "2026-10"
REFERENCES: dict[str, Callable[..., dict[str, pa.Table]]] = {
    "duckdb_sql": sql_reference_tables,
    "pandas": pandas_reference_tables,
}


@pytest.fixture(scope="module")
def store(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticsStore]:
    """A synthetic operator imported, ingested and run for its last two months."""
    empty_database(engine)
    root = tmp_path_factory.mktemp("reference")
    env = os.environ | {
        "TELCOCRM_DATABASE_URL": database_url,
        "TELCOCRM_ENVIRONMENT": "test",
        "TELCOCRM_DATA_DIR": str(root / "var"),
    }

    def cli(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "telcocrm.cli", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    synth = root / "synth"
    cli("synth", "--subscribers", str(SUBSCRIBERS), "--months", str(MONTHS), "--seed", "11", "--end-month",
        END_MONTH, str(synth))  # fmt: skip
    cli("customers", "import", str(synth / "customers.parquet"))
    months = sorted(p.name for p in synth.iterdir() if p.is_dir() and p.name[:2] == "20")
    for month in months:
        cli("ingest", str(synth / month), "--month", month)
    for month in months[-2:]:
        cli("run-month", month)
    yield AnalyticsStore(root / "var" / "analytics")
    empty_database(engine)


def assert_same_rows(got: pa.Table, expected: pa.Table, name: str) -> None:
    """Same row count and, sorted by the table's key, every column equal (nulls in the same places)."""
    assert got.num_rows == expected.num_rows, name
    assert got.num_rows > 0, name
    got, expected = got.sort_by(KEYS[name]), expected.sort_by(KEYS[name])
    for column in TABLES[name].names:
        assert got[column].equals(expected[column]), f"{name}.{column} differs"


def run_results(store: AnalyticsStore, month: str) -> dict[str, pa.Table]:
    return {name: pq.read_table(store.result_path(month, name), schema=schema) for name, schema in TABLES.items()}


@pytest.mark.parametrize("reference", REFERENCES)
def test_reference_gives_the_runs_rows(store: AnalyticsStore, reference: str, tmp_path: Path) -> None:
    expected = run_results(store, END_MONTH)
    assert store.result_path("2026-09", "credit").exists()  # the streak of A months reads last month's credit
    got = REFERENCES[reference](store, END_MONTH, tmp_path)
    assert set(got) == {"subscriber_features", "customer_features", "credit", "lifecycle"}
    for name in TABLES:
        assert_same_rows(got[name], expected[name], name)


def stricter(rules: MonthlyRules) -> MonthlyRules:
    """One late bill already makes an in-network customer B; a line under 24 months is identified, not grown."""
    credit = rules.credit.model_copy(
        update={"in_network": rules.credit.in_network.model_copy(update={"b_late_bills": 1})}
    )
    nodes = list(rules.lifecycle.nodes)
    first_when = nodes[1].when[0].model_copy(update={"value": 24})
    nodes[1] = nodes[1].model_copy(update={"when": (first_when,)})
    lifecycle = rules.lifecycle.model_copy(update={"nodes": tuple(nodes)})
    return rules.model_copy(update={"credit": credit, "lifecycle": lifecycle})


def test_changed_rules_change_every_implementation_alike(store: AnalyticsStore, tmp_path: Path) -> None:
    rules = stricter(load_rules())
    assert rules.lifecycle.nodes[1].id == "identification.new_line"
    ibis = read_outputs(run_ibis(store, END_MONTH, tmp_path / "ibis", rules=rules))
    run = run_results(store, END_MONTH)
    b_count = {
        name: t["credit_rating"].to_pylist().count("B")
        for name, t in (("ibis", ibis["credit"]), ("run", run["credit"]))
    }
    assert b_count["ibis"] > b_count["run"]  # the changed threshold took effect
    for reference, build in REFERENCES.items():
        got = build(store, END_MONTH, tmp_path / reference, rules=rules)
        for name in TABLES:
            assert_same_rows(got[name], ibis[name], name)
