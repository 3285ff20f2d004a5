"""Times the monthly batch as an operator runs it: synth → import → ingest every month → run the last month.

.venv/bin/python benchmarks/bench_batch.py                         # 1,000,000 subscribers × 12 months, DuckDB
.venv/bin/python benchmarks/bench_batch.py --subscribers 20000     # a smoke run
.venv/bin/python benchmarks/bench_batch.py --spark                 # also the run on Spark (local mode)
.venv/bin/python benchmarks/bench_batch.py --database-url postgresql+psycopg://…/bench

Every step is the real `telcocrm` command in a child process, so each step's peak memory (ru_maxrss of that
child, from os.wait4) is its own. The synthetic operator is kept in --work and reused when its arguments match.
Subscriber-months: for ingest, the bill rows of all months; for the run, the subscribers × the months of
history it reads (up to 12). The machine may be shared: the load average before and after is printed.

CPU, in core-seconds: the command's own (user + system of the child, from the same wait4), and the whole
machine's busy time over the step (/proc/stat, Linux), which adds the database server's work and anything else
running. On a quiet machine their difference is the database's share, and the machine's figure against
seconds × cores says how much of the machine the step kept busy: a goal in seconds cannot be met by a step
whose busy core-seconds already exceed goal × cores, whatever overlaps it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

END_MONTH = "2026-10"


@dataclass
class Step:
    name: str
    seconds: float
    peak_mib: float
    subscriber_months: int = 0
    command_cpu: float = 0.0  # core-seconds of the command itself (user + system)
    machine_cpu: float | None = None  # busy core-seconds of the whole machine over the step; None off Linux

    @property
    def rate(self) -> float:
        return self.subscriber_months / self.seconds if self.seconds else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--work", type=Path, default=Path("/tmp/telcocrm-bench-batch"))
    parser.add_argument("--database-url", default="", help="an empty database (default: SQLite in --work)")
    parser.add_argument("--spark", action="store_true", help="also run the month on Spark (local mode)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument(
        "--floor", action="store_true", help="then the least work any run must do (bench_batch_floor.py; PostgreSQL)"
    )
    return parser.parse_args(argv)


def run_step(name: str, args: list[str], env: dict[str, str], subscriber_months: int = 0) -> Step:
    """Run one `telcocrm` command in a child process; its wall time, peak resident memory and CPU."""
    started, busy_before = time.perf_counter(), machine_busy_seconds()
    command = [sys.executable, "-m", "telcocrm.cli", *args]
    _, usage = run_child(command, env, f"step {name} failed")
    seconds, busy_after = time.perf_counter() - started, machine_busy_seconds()
    machine = busy_after - busy_before if busy_before is not None and busy_after is not None else None
    cpu = usage.ru_utime + usage.ru_stime
    return Step(name, seconds, usage.ru_maxrss / 1024, subscriber_months, cpu, machine)


def run_measured(command: list[str], env: dict[str, str] | None, failure: str) -> tuple[bytes, float]:
    """Run a child process to its end; its standard output and its peak resident memory in MiB (os.wait4)."""
    output, usage = run_child(command, env, failure)
    return output, usage.ru_maxrss / 1024


def run_child(command: list[str], env: dict[str, str] | None, failure: str) -> tuple[bytes, Any]:
    """Run a child process to its end; its standard output and its resource usage (os.wait4).

    A child that fails stops the benchmark with `failure`, after the end of what it printed.
    """
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stdout.buffer.write(output[-4000:])
        raise SystemExit(failure)
    return output, usage


def machine_busy_seconds() -> float | None:
    """Core-seconds the machine has spent busy since boot (all but idle and I/O wait); None without /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = ticks[3] + ticks[4]
    # guest time is already counted inside user and nice, so only the first eight fields are summed
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def synthetic_operator(args: argparse.Namespace, env: dict[str, str]) -> tuple[Path, Step | None]:
    """The operator's files, written unless a previous run with the same arguments left them."""
    folder = args.work / f"synth-{args.subscribers}-{args.months}-{args.seed}"
    if (folder / "DONE").exists():
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    command = ["synth", "--subscribers", str(args.subscribers), "--months", str(args.months)]
    command += ["--seed", str(args.seed), "--end-month", END_MONTH, str(folder)]
    step = run_step("synth", command, env, args.subscribers * args.months)
    (folder / "DONE").write_text("")
    return folder, step


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = args.work / "var"
    shutil.rmtree(data_dir, ignore_errors=True)
    url = args.database_url or f"sqlite:///{data_dir / 'telcocrm.db'}"
    env = os.environ | {"TELCOCRM_DATABASE_URL": url, "TELCOCRM_DATA_DIR": str(data_dir)}
    env["TELCOCRM_ENVIRONMENT"] = "test"  # no secret key needed: the benchmark serves nothing
    load_before = os.getloadavg()
    folder, synth = synthetic_operator(args, env)
    steps = [s for s in [synth] if s]
    months = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name[:2] == "20")
    steps.append(run_step("db upgrade", ["db", "upgrade"], env))
    steps.append(run_step("customers import", ["customers", "import", str(folder / "customers.parquet")], env))
    for month in months:
        bills = pq.ParquetFile(folder / month / "bills.parquet").metadata.num_rows
        steps.append(run_step(f"ingest {month}", ["ingest", str(folder / month), "--month", month], env, bills))
    history = args.subscribers * min(len(months), 12)
    recorded = data_dir / "analytics" / "results" / f"month={months[-1]}" / "run.json"
    steps.append(run_step(f"run-month {months[-1]} duckdb", ["run-month", months[-1]], env, history))
    by_step = [json.loads(recorded.read_text(encoding="utf-8"))]
    if args.spark:
        spark = ["run-month", months[-1], "--engine", "spark"]
        steps.append(run_step(f"run-month {months[-1]} spark", spark, env, history))
        by_step.append(json.loads(recorded.read_text(encoding="utf-8")))
    report(args, steps, url, load_before)
    for figures in by_step:
        run_steps(figures)
    if args.floor:
        floor(args, data_dir, months[-1], history)


def floor(args: argparse.Namespace, data_dir: Path, month: str, history: int) -> None:
    """The run's floor measured on the store and database just run, against the same goal."""
    if not args.database_url.startswith("postgresql"):
        print("\nfloor: PostgreSQL only (--database-url), the production database the goal is about")
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `benchmarks`
    from benchmarks.bench_batch_floor import measure_floor, print_floor

    budget, rounds = history / RUN_GOAL_RATE * (os.cpu_count() or 1), 3
    print(f"\nthe least work any run of {month} must do ({history:,} subscriber-months), {rounds} rounds")
    print_floor(measure_floor(data_dir, month, args.database_url, rounds=rounds), budget)


def report(args: argparse.Namespace, steps: list[Step], url: str, load_before: tuple[float, ...]) -> None:
    """Print the figures as a Markdown table with the machine they were measured on."""
    ingest = [s for s in steps if s.name.startswith("ingest")]
    busy = [s.machine_cpu for s in ingest]
    total = Step("ingest, all months", sum(s.seconds for s in ingest), max(s.peak_mib for s in ingest),
                 sum(s.subscriber_months for s in ingest), sum(s.command_cpu for s in ingest),
                 None if None in busy else sum(b or 0.0 for b in busy))  # fmt: skip
    rows = [*steps, total]
    print(f"\n{args.subscribers:,} subscribers × {args.months} months, database {url.split(':')[0]}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}\n")
    print("| step | seconds | subscriber-months/s | peak memory MiB | CPU s, command | CPU s, machine |")
    print("|---|---|---|---|---|---|")
    for step in rows:
        rate = f"{step.rate:,.0f}" if step.subscriber_months else ""
        machine = f"{step.machine_cpu:,.1f}" if step.machine_cpu is not None else ""
        cells = f"{step.seconds:,.1f} | {rate} | {step.peak_mib:,.0f} | {step.command_cpu:,.1f} | {machine}"
        print(f"| {step.name} | {cells} |")
    for step in (s for s in steps if s.name.startswith("run-month") and s.machine_cpu is not None):
        print(goal_budget(step, os.cpu_count() or 1))
    if args.json:
        args.json.write_text(json.dumps([asdict(s) | {"rate": s.rate} for s in rows], indent=2))


RUN_GOAL_RATE = 1_000_000  # subscriber-months/s, issue 3's goal for the whole run, write-back included


def goal_budget(step: Step, cores: int) -> str:
    """How the step's busy core-seconds compare with what the run's goal leaves on this machine's cores."""
    goal_seconds = step.subscriber_months / RUN_GOAL_RATE
    budget = goal_seconds * cores
    assert step.machine_cpu is not None
    return (
        f"{step.name}: the machine was busy {step.machine_cpu:,.1f} core-s ({step.command_cpu:,.1f} of them the "
        f"command's); the goal, {goal_seconds:,.1f} s on {cores} cores, leaves {budget:,.1f} core-s "
        f"({step.machine_cpu / budget:.1f}× over)"
    )


def run_steps(figures: dict[str, Any]) -> None:
    """A run's time per step, as the run recorded it (results/month=M/run.json)."""
    print(f"\nrun-month {figures['month']} on {figures['engine']}, by step\n")
    print("| step | seconds |")
    print("|---|---|")
    for name, seconds in figures["step_seconds"].items():
        print(f"| {name} | {seconds:,.1f} |")


if __name__ == "__main__":
    main()
