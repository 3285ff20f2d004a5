"""Times a bulk customer import: generates a demo Parquet file, migrates a database, imports, prints figures.

.venv/bin/python benchmarks/bench_customer_import.py --customers 20000
.venv/bin/python benchmarks/bench_customer_import.py --database-url postgresql+psycopg://…/bench
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from telcocrm.db.engine import make_engine
from telcocrm.db.migrate import upgrade
from telcocrm.demo import write_demo_file
from telcocrm.imports import import_customers
from telcocrm.models import Customer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the demo file")
    parser.add_argument("--seed", type=int, default=2026, help="demo generator seed")
    parser.add_argument("--database-url", default="", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--file", type=Path, default=None, help="keep the demo file here (default: temporary)")
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


def machine() -> str:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    return f"{platform.platform()}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> None:
    """Generate, migrate, import, report."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="telcocrm-bench-") as scratch:
        path = args.file or Path(scratch) / f"demo-{args.customers}.parquet"
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        rows, generate_seconds = generate(path, args.customers, args.seed)
        print(f"demo file: {rows:,} rows for {args.customers:,} customers in {generate_seconds:.1f} s ({path.name})")
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(Customer)).scalar_one():
                raise SystemExit("the database is not empty: give an empty one, the import must own it")
        report = import_customers(path, engine=engine, actor="benchmark")
        engine.dispose()
    seconds = report.seconds
    print(f"database: {url.split('@')[-1] if '@' in url else engine.dialect.name}")
    print(
        f"imported: {report.customers:,} customers, {report.accounts:,} accounts, "
        f"{report.subscribers:,} subscribers, {report.relations:,} relations in {seconds:.1f} s"
    )
    print(f"rows/s: {rows / seconds:,.0f}")
    print(f"customers/s: {report.customers / seconds:,.0f}")
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
