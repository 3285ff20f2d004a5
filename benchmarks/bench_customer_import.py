"""Times a bulk customer import: generates a demo Parquet file, migrates a database, imports, prints figures.

.venv/bin/python benchmarks/bench_customer_import.py --customers 20000
.venv/bin/python benchmarks/bench_customer_import.py --database-url postgresql+psycopg://…/bench
.venv/bin/python benchmarks/bench_customer_import.py --customers 1000000 --file var/demo-1m.parquet  # kept, reused

Rows are the file's rows (one per subscriber). The machine may be shared: the load average before and after
the import is printed with the figures, so a run under load can be recognised and repeated.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from telcocrm.db.engine import make_engine
from telcocrm.db.migrate import upgrade
from telcocrm.demo import write_demo_file
from telcocrm.imports import import_customers
from telcocrm.imports.reader import estimate_rows
from telcocrm.models import Customer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the demo file")
    parser.add_argument("--seed", type=int, default=2026, help="demo generator seed")
    parser.add_argument("--database-url", default="", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument(
        "--file", type=Path, default=None, help="the demo file: reused when it exists, else written and kept there"
    )
    return parser.parse_args(argv)


def generate(path: Path, customers: int, seed: int) -> tuple[int, float]:
    """Write the demo file in a child process, so its memory does not count in the import's peak RSS."""
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        rows = pool.apply(write_demo_file, (path, customers, seed))
    return rows, time.perf_counter() - started


def peak_rss_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu_model() -> str:
    """The processor's model name, as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def database_version(engine: Engine) -> str:
    """The database server and its version."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as conn:
        return f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar_one()}"


def machine() -> str:
    """What the figures were measured on."""
    return f"{cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"


def load() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews the figures)."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


class Phases:
    """When the import had been through every row (then come relations, keys and indexes, commit)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.rows_done = 0.0

    def __call__(self, done: int, total: int) -> None:
        if done >= total and not self.rows_done:
            self.rows_done = time.perf_counter() - self.started


def main(argv: list[str] | None = None) -> None:
    """Generate (or reuse), migrate, import, report."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="telcocrm-bench-") as scratch:
        path = args.file or Path(scratch) / f"demo-{args.customers}.parquet"
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        if path.exists():
            rows = estimate_rows(path)
            print(f"demo file: {rows:,} rows, reused ({path})")
        else:
            rows, generate_seconds = generate(path, args.customers, args.seed)
            made = f"{rows:,} rows for {args.customers:,} customers in {generate_seconds:.1f} s"
            print(f"demo file: {made} ({path.name})")
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(Customer)).scalar_one():
                raise SystemExit("the database is not empty: give an empty one, the import must own it")
        version = database_version(engine)
        print(f"load average before: {load()}")
        phases = Phases()
        report = import_customers(path, engine=engine, actor="benchmark", progress=phases)
        print(f"load average after: {load()}")
        engine.dispose()
    seconds = report.seconds
    print(f"database: {version} ({url.split('@')[-1] if '@' in url else engine.dialect.name})")
    print(
        f"imported: {report.customers:,} customers, {report.accounts:,} accounts, "
        f"{report.subscribers:,} subscribers, {report.relations:,} relations in {seconds:.1f} s"
        f" (every row through in {phases.rows_done:.1f} s; relations, keys, indexes and commit"
        f" {seconds - phases.rows_done:.1f} s)"
    )
    print(f"rows/s: {report.subscribers / seconds:,.0f}")
    print(f"customers/s: {report.customers / seconds:,.0f}")
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
