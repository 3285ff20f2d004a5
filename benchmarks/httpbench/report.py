"""The machine the figures come from, and the table of figures (Markdown, ready for docs/benchmarks.md)."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from httpbench.cpu import CpuUse
from httpbench.scenarios import Scenario
from httpbench.wrk import WrkResult


@dataclass(frozen=True)
class Measured:
    """One scenario and what it gave; `baseline` is the same run against the code to compare with."""

    scenario: Scenario
    result: WrkResult
    cpu: CpuUse
    baseline: WrkResult | None = None


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    """Installed memory (Linux), 0 when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return 0.0


def busy_share(seconds: float = 2.0) -> float:
    """The share of CPU time spent by anything while nothing of ours runs (other work skews the figures)."""
    try:
        before = _cpu_times()
        time.sleep(seconds)
        after = _cpu_times()
    except OSError:
        return float("nan")
    busy = (after[0] - before[0]) or 0
    total = (after[1] - before[1]) or 1
    return busy / total


def _cpu_times() -> tuple[int, int]:
    """Busy and total jiffies of all CPUs (Linux)."""
    fields = [int(v) for v in Path("/proc/stat").read_text(encoding="utf-8").split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def postgres_version(engine: Engine) -> str:
    """The server's version and the settings that matter here."""
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        buffers = conn.execute(text("SHOW shared_buffers")).scalar_one()
        commit = conn.execute(text("SHOW synchronous_commit")).scalar_one()
        size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()
    return f"PostgreSQL {version}: database {size}, shared_buffers {buffers}, synchronous_commit {commit}"


def machine_lines(engine: Engine, *, wrk: str, server: str, busy: float) -> list[str]:
    """What the figures were measured on, and how busy the machine was before the runs."""
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB (server, database and wrk share them)",
        f"OS: {platform.platform()}",
        f"Python {platform.python_version()}; {server}",
        postgres_version(engine),
        f"wrk {wrk}",
        f"CPU busy with other work just before the runs: {busy:.0%}"
        + (" (the figures are skewed)" if busy > 0.1 else ""),
    ]


def table(rows: list[Measured]) -> list[str]:
    """The Markdown table of every run; a ratio column when a baseline was measured in the same run."""
    compare = any(row.baseline is not None for row in rows)
    head = ["endpoint", "role", "load", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "errors", "goal", "verdict"]
    head += ["server CPU ms/req", "PostgreSQL CPU ms/req"]
    if compare:
        head[4:4] = ["before req/s", "req/s ×"]
        head[9:9] = ["before p99 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cells(row, compare)) + " |" for row in rows]
    return lines


def _cells(row: Measured, compare: bool) -> list[str]:
    scenario, result = row.scenario, row.result
    load = "flat out" if scenario.rate is None else f"{scenario.rate:,} req/s offered"
    cells = [
        scenario.endpoint.name,
        scenario.role.value,
        load,
        f"{result.rps:,.0f}",
        f"{result.p50_ms:.1f}",
        f"{result.p90_ms:.1f}",
        f"{result.p99_ms:.1f}",
        f"{result.p999_ms:.1f}",
        _errors(result),
        scenario.goal,
        scenario.verdict(result),
        f"{row.cpu.server_ms:.2f}",
        "–" if row.cpu.database_ms is None else f"{row.cpu.database_ms:.2f}",
    ]
    if compare:
        before = row.baseline
        ratio = f"{result.rps / before.rps:.2f}" if before and before.rps else "–"
        cells[4:4] = [f"{before.rps:,.0f}" if before else "–", ratio]
        cells[9:9] = [f"{before.p99_ms:.1f}" if before else "–"]
    return cells


def _errors(result: WrkResult) -> str:
    if not result.errors:
        return "0"
    return f"{result.non_2xx:,} non-2xx, {result.socket_errors:,} socket"
