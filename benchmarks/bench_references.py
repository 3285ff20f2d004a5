"""Times the Ibis pipeline against its hand-written references (DuckDB SQL, pandas) on a month already run.

.venv/bin/python benchmarks/bench_references.py --data-dir var --month 2026-10 [--rounds 3]

All three build the same four tables (subscriber_features, customer_features, credit, lifecycle) from the same
Parquet inputs (the month's 12-month window of extracts, results/month=M/base.parquet, last month's credit) and
write them to Parquet in a temporary folder. Every run is a child process of its own (this script again with
--only), so no implementation starts in the heap another one left behind (pandas lets go of several GB); the
rounds interleave them (Ibis, SQL, pandas; again …), so a busy neighbour on the shared machine slows all three
alike, and the median of the rounds is reported with each round. A child times its run alone (imports and
start-up excluded). Subscriber-months: the subscriber features' rows × the months of history read (up to 12).
Peak memory: the largest ru_maxrss of each implementation's children; the load average before and after tells
whether the machine was busy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `benchmarks` as a package

import pyarrow.parquet as pq
from benchmarks.bench_batch import run_measured
from benchmarks.reference.duckdb_sql import run_sql_reference
from benchmarks.reference.ibis_run import run_ibis
from benchmarks.reference.pandas_frames import run_pandas_reference

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.jobs.rules import load_rules
from telcocrm.kit.months import window

RUNNERS: dict[str, Callable[..., dict[str, Path]]] = {
    "ibis": run_ibis,
    "duckdb_sql": run_sql_reference,
    "pandas": run_pandas_reference,
}


def main() -> None:
    """Parse the arguments, time the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="TELCOCRM_DATA_DIR of the run (holds analytics/)")
    parser.add_argument("--month", required=True, help="a month already run (YYYY-MM)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=list(RUNNERS), help=argparse.SUPPRESS)  # a child: one run, figures as JSON
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    store = AnalyticsStore(args.data_dir / "analytics")
    if not store.result_path(args.month, "base").exists():
        parser.error(f"{args.month} has not been run in {args.data_dir} (no results/month={args.month}/base.parquet)")
    if args.only:
        print(json.dumps(run_once(args.only, store, args.month, args.out)))
        return
    load_before = os.getloadavg()
    seconds: dict[str, list[float]] = {name: [] for name in RUNNERS}
    peak_mib: dict[str, float] = dict.fromkeys(RUNNERS, 0.0)
    rows = 0
    with tempfile.TemporaryDirectory(prefix="bench-references-") as scratch:
        for round_ in range(args.rounds):
            for name in RUNNERS:
                out = Path(scratch) / f"{name}-{round_}"
                figures, peak = run_child(name, args, out)
                seconds[name].append(figures["seconds"])
                peak_mib[name] = max(peak_mib[name], peak)
                rows = figures["rows"]
                shutil.rmtree(out, ignore_errors=True)
    history = sum(1 for m in window(args.month, 12) if store.extract_path(m, "bills").exists())
    report(seconds, rows * history, load_before, peak_mib)


def run_once(name: str, store: AnalyticsStore, month: str, out: Path) -> dict[str, float]:
    """One implementation's run in this process: its seconds and the subscriber features' rows."""
    rules = load_rules()
    started = time.perf_counter()
    paths = RUNNERS[name](store, month, out, rules=rules)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": pq.ParquetFile(paths["subscriber_features"]).metadata.num_rows}


def run_child(name: str, args: argparse.Namespace, out: Path) -> tuple[dict[str, float], float]:
    """Run one implementation in a child process; its figures and its peak resident memory in MiB."""
    command = [sys.executable, __file__, "--data-dir", str(args.data_dir), "--month", args.month]
    output, peak_mib = run_measured([*command, "--only", name, "--out", str(out)], None, f"the {name} run failed")
    return json.loads(output.decode().splitlines()[-1]), peak_mib


def report(
    seconds: dict[str, list[float]], subscriber_months: int, load_before: tuple[float, ...], peak_mib: dict[str, float]
) -> None:
    """Print seconds, subscriber-months/s and ratios, then the process's peak memory and the machine."""
    median = {name: statistics.median(times) for name, times in seconds.items()}
    print(f"{subscriber_months:,} subscriber-months; tables: subscriber_features, customer_features, credit, lifecycle")
    print(f"{'':12} {'median s':>9} {'sub-months/s':>13}  rounds (s)")
    for name, times in seconds.items():
        rounds = ", ".join(f"{t:.2f}" for t in times)
        print(f"{name:12} {median[name]:9.2f} {subscriber_months / median[name]:13,.0f}  {rounds}")
    print(f"ibis / duckdb_sql:   {median['ibis'] / median['duckdb_sql']:.2f}×  (goal: ≤ 1.1×)")
    print(f"pandas / duckdb_sql: {median['pandas'] / median['duckdb_sql']:.2f}×  (goal: ≥ 10×)")
    peaks = ", ".join(f"{name} {mib:,.0f}" for name, mib in peak_mib.items())
    print(f"peak memory of each implementation's runs (ru_maxrss, MiB): {peaks}")
    cores = os.cpu_count()
    after = os.getloadavg()
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {cores} cores")
    loads = [", ".join(f"{x:.2f}" for x in load) for load in (load_before, after)]
    print(f"load average before: {loads[0]}; after: {loads[1]}")


if __name__ == "__main__":
    main()
