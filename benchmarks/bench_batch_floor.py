"""The least work any monthly run must do, measured part by part against the goal's budget of machine time.

.venv/bin/python benchmarks/bench_batch_floor.py --data-dir /tmp/bb1m/var --month 2026-10 \\
    --database-url postgresql+psycopg://…/b1m
.venv/bin/python benchmarks/bench_batch.py --database-url … --floor   # the same after bench_batch's own run

Issue 3's goal is 1,000,000 subscriber-months/s: 12,000,000 in 12 s, on 2 cores 24 core-seconds of the
whole machine, the database server's included. Whatever implements the run has at least to do four things, and
each part below does only that, the cheapest way this machine offers, computing nothing:

- start: a Python process importing the engines (DuckDB, Ibis, Arrow, SQLAlchemy);
- base: read every subscriber with its customer's code from the operational database (ADBC, binary COPY into
  Arrow columns: two columns of the 30 the rules read);
- history: read the 12 months of extracts once and group them by subscriber (DuckDB on the store's Parquet,
  a sum of every numeric column and a count: no rule);
- write: the month's history rows into the operational database, one per customer for credit and for segment,
  one per subscriber for lifecycle, each with its month, rules version, value and rule (no reason, class,
  authorisation or other column), three tables side by side, each created and COPied in binary in its own
  transaction; then again with the one index per table that reading a customer's history needs.

Beside the floor, as the cheapest rules this project has: the hand-written DuckDB SQL reference
(benchmarks/reference/duckdb_sql.py) building four of the run's tables (subscriber and customer features, credit,
lifecycle; not the segments nor the subscriber results) into a temporary folder.

The database and the store must be those of a run of `--month` (its results files give the rows written).
Each part is measured as the machine's busy core-seconds over it (/proc/stat), so the server's work counts;
run it on a quiet machine. The tables written are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `benchmarks` as a package

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from benchmarks.bench_batch import RUN_GOAL_RATE, machine_busy_seconds
from benchmarks.reference.duckdb_sql import run_sql_reference
from sqlalchemy import create_engine

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.db.engine import libpq_dsn
from telcocrm.jobs.rules import load_rules
from telcocrm.kit.months import window

# (results file, its key column, value column, rule column): the rows of the month's three histories
HISTORIES = (
    ("credit", "customer_code", "credit_rating", "credit_rule"),
    ("segments", "customer_code", "segment", "segment_rule"),
    ("lifecycle", "subscriber_id", "lifecycle_stage", "lifecycle_rule"),
)
EXTRACTS = ("bills", "usage", "events", "topups")  # the tables with rows per subscriber and month


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="TELCOCRM_DATA_DIR of a run of --month")
    parser.add_argument("--month", required=True)
    parser.add_argument("--database-url", required=True, help="the PostgreSQL database of that run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--subscriber-months", type=int, default=12_000_000, help="the run's, as bench_batch.py counts them"
    )
    return parser.parse_args()


def measured(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, busy core-seconds of the machine) of one call."""
    busy, started = machine_busy_seconds() or 0.0, time.perf_counter()
    work()
    return time.perf_counter() - started, (machine_busy_seconds() or 0.0) - busy


def start() -> None:
    """A fresh Python importing the engines the run uses."""
    imports = "import duckdb, ibis, pyarrow.parquet, sqlalchemy, adbc_driver_postgresql.dbapi"
    subprocess.run([sys.executable, "-c", imports], check=True)


def read_base(dsn: str) -> Callable[[], object]:
    def work() -> int:
        from adbc_driver_postgresql import dbapi

        with dbapi.connect(dsn) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT s.subscriber_code, c.code FROM subscriber s JOIN customer c ON c.id = s.customer_id")
            return int(cursor.fetch_arrow_table().num_rows)

    return work


def read_history(data_dir: Path, month: str) -> Callable[[], object]:
    """Every extract of the 12 months read once and grouped by subscriber: sums of its numeric columns."""
    folders = [data_dir / "analytics" / "extracts" / f"month={m}" for m in window(month, 12)]

    def work() -> int:
        con = duckdb.connect()
        con.execute("SET threads = 2")
        groups = 0
        for name in EXTRACTS:
            files = [str(f / f"{name}.parquet") for f in folders if (f / f"{name}.parquet").exists()]
            columns = con.execute(f"DESCRIBE SELECT * FROM read_parquet({files})").fetchall()
            numeric = [c for c, kind, *_ in columns if kind.startswith(("DECIMAL", "BIGINT", "INTEGER", "DOUBLE"))]
            sums = ", ".join(f"sum({c})" for c in numeric) or "0"
            statement = f"SELECT subscriber_id, count(*), {sums} FROM read_parquet({files}) GROUP BY subscriber_id"
            groups += con.execute(f"SELECT count(*) FROM ({statement})").fetchone()[0]  # type: ignore[index]
        con.close()
        return groups

    return work


def sql_rules(data_dir: Path, month: str, scratch: Path) -> Callable[[], object]:
    """The hand-written SQL reference's four tables, written to Parquet in `scratch`."""
    store, rules = AnalyticsStore(data_dir / "analytics"), load_rules()

    def work() -> object:
        shutil.rmtree(scratch, ignore_errors=True)
        return run_sql_reference(store, month, scratch, rules=rules)

    return work


def history_rows(results: Path, month: str) -> list[tuple[str, pa.Table]]:
    """The month's three histories as the least the issue asks of each row."""
    tables = []
    for name, key, value, rule in HISTORIES:
        rows = pq.read_table(results / f"{name}.parquet", columns=[key, value, rule])
        count = rows.num_rows
        rows = rows.append_column("month", pa.array([month] * count)).append_column(
            "rules_version", pa.array(["floor"] * count)
        )
        tables.append((f"floor_{name}", rows))
    return tables


def write_histories(dsn: str, tables: list[tuple[str, pa.Table]], *, indexed: bool) -> Callable[[], object]:
    def load(item: tuple[str, pa.Table]) -> None:
        from adbc_driver_postgresql import dbapi

        name, rows = item
        with dbapi.connect(dsn) as conn, conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.adbc_ingest(name, rows, mode="create")
            if indexed:
                cursor.execute(f"CREATE INDEX {name}_key ON {name} ({rows.column_names[0]})")
            conn.commit()

    def work() -> None:
        with ThreadPoolExecutor(max_workers=len(tables)) as pool:
            list(pool.map(load, tables))

    return work


def drop(dsn: str, tables: list[tuple[str, pa.Table]]) -> None:
    from adbc_driver_postgresql import dbapi

    with dbapi.connect(dsn) as conn, conn.cursor() as cursor:
        for name, _ in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        conn.commit()


FLOOR_PARTS = ("start", "base", "history", "write, indexed")
Figures = dict[str, list[tuple[float, float]]]  # part → (wall seconds, busy core-seconds) of each round


def measure_floor(data_dir: Path, month: str, database_url: str, rounds: int) -> Figures:
    """Each part, `rounds` times in turn; the tables written are dropped at the end."""
    dsn = libpq_dsn(create_engine(database_url))  # ADBC takes libpq's URL, without SQLAlchemy's driver name
    tables = history_rows(data_dir / "analytics" / "results" / f"month={month}", month)
    scratch = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    parts: list[tuple[str, Callable[[], object]]] = [
        ("start", start),
        ("base", read_base(dsn)),
        ("history", read_history(data_dir, month)),
        ("write", write_histories(dsn, tables, indexed=False)),
        ("write, indexed", write_histories(dsn, tables, indexed=True)),
        ("SQL rules, 4 tables", sql_rules(data_dir, month, scratch)),
    ]
    try:
        return {name: [measured(work) for _ in range(rounds)] for name, work in parts}
    finally:
        drop(dsn, tables)
        shutil.rmtree(scratch, ignore_errors=True)


def print_floor(figures: Figures, budget: float) -> None:
    """The parts as a Markdown table, then the floor and the SQL reference against the goal's core-seconds."""
    print("\n| part | wall s (median) | busy core-s (median) | rounds, core-s |")
    print("|---|---|---|---|")
    for name, rounds in figures.items():
        walls, cores = [w for w, _ in rounds], [c for _, c in rounds]
        shown = ", ".join(f"{c:.1f}" for c in cores)
        print(f"| {name} | {statistics.median(walls):.2f} | {statistics.median(cores):.1f} | {shown} |")
    floor = sum(statistics.median(c for _, c in figures[name]) for name in FLOOR_PARTS)
    sql = statistics.median(c for _, c in figures["SQL rules, 4 tables"])
    print(f"\nthe goal leaves {budget:.1f} core-s; the floor ({' + '.join(FLOOR_PARTS)}) takes {floor:.1f} of them,")
    left = budget - floor
    print(f"leaving {left:.1f} for every rule of the run; the hand-written SQL's four tables take {sql:.1f}:")
    print(f"floor + SQL {floor + sql:.1f} core-s, {(floor + sql) / budget:.2f}× the goal's")


def main() -> None:
    args = parse_args()
    budget = args.subscriber_months / RUN_GOAL_RATE * (os.cpu_count() or 1)
    print_floor(measure_floor(args.data_dir, args.month, args.database_url, args.rounds), budget)


if __name__ == "__main__":
    main()
