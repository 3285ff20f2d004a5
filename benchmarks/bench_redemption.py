"""Redemption over HTTP on PostgreSQL: `POST /api/loyalty/redemptions` under 50 concurrent clients (issue 4).

Loads the customers (httpbench/dataset.py; a database already holding exactly that many is reused), gives
each of them points through the ledger's bulk posting, adds a reward without a stock limit and one with a
small stock, starts uvicorn as a separate process and drives it with wrk (benchmarks/wrk/redeem.lua), flat
out, with unique request keys:

- *spread*: customers picked at random among all of them; one request in 10 asks for the limited reward
  (20 units: it runs out, 409 from then on), one in 50 is a client's retry of its previous request (200);
- *contention*: every client on the same 10 customers, so requests queue on their accounts' row locks.

After each run it checks the database against wrk's answers (httpbench/redemptions.py) and prints the
checks, the machine and a Markdown table (docs/benchmarks.md). `--also-src DIR` measures the `src` of another
checkout too (a candidate change), after this one, against the same database.

    TELCOCRM_PG_OPTIONS="-c shared_buffers=1GB" scripts/with-postgres.sh .venv/bin/python benchmarks/bench_redemption.py
    scripts/with-postgres.sh .venv/bin/python benchmarks/bench_redemption.py --customers 2000   # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from httpbench import redemptions as data
from httpbench.cpu import CpuMeter, CpuUse, postmaster_pid
from httpbench.dataset import ensure_customers, prewarm, sample_codes
from httpbench.report import busy_share, machine_lines
from httpbench.server import Server, ensure_staff, login, running_server
from httpbench.wrk import Load, WrkResult, run_wrk, wrk_version
from sqlalchemy import Engine

from telcocrm.db.engine import make_engine
from telcocrm.models.enums import StaffRole

SCRIPT = Path(__file__).resolve().parent / "wrk" / "redeem.lua"
PATH = "/api/loyalty/redemptions"
SMOKE_BELOW = 10_000  # fewer customers than this: a smoke run with short wrk runs
LIMITED_EVERY = 10
REPLAY_EVERY = 50


@dataclass(frozen=True)
class Scenario:
    """One wrk run: which customers the requests pick from, and the share of limited-reward requests and retries."""

    name: str
    codes_file: Path
    customers: int
    limited_every: int
    replay_every: int


@dataclass(frozen=True)
class Run:
    """What one run measured, and the checks that followed it."""

    server: str
    scenario: Scenario
    result: WrkResult
    statuses: dict[int, int]
    cpu: CpuUse
    checks: list[data.Check]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000, help="customers in the database, all with points")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TELCOCRM_TEST_DATABASE_URL", ""),
        help="PostgreSQL, empty or holding exactly --customers (default: $TELCOCRM_TEST_DATABASE_URL)",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (concurrent clients)")
    parser.add_argument("--duration", type=int, default=None, help="seconds per run (default 30; 5 for a smoke run)")
    parser.add_argument("--warmup", type=int, default=None, help="seconds of warm-up (default 5; 2)")
    parser.add_argument("--hot", type=int, default=10, help="customers all clients share in the contention run")
    parser.add_argument("--points", type=int, default=10_000, help="points each customer earns")
    parser.add_argument("--hot-points", type=int, default=10_000_000, help="points the hot customers earn on top")
    parser.add_argument("--stock", type=int, default=20, help="units of the limited reward (runs out: 409)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the customer sample")
    parser.add_argument("--also-src", type=Path, default=None, help="also measure another checkout's src")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("give a PostgreSQL URL (--database-url or TELCOCRM_TEST_DATABASE_URL): scripts/with-postgres.sh")
    smoke = args.customers < SMOKE_BELOW
    args.duration = args.duration or (5 if smoke else 30)
    args.warmup = args.warmup if args.warmup is not None else (2 if smoke else 5)
    return args


def prepare(engine: Engine, args: argparse.Namespace, scratch: Path) -> list[Scenario]:
    """Customers, staff, points, rewards, a warm database, and the code files of the two scenarios."""
    print(f"customers: ensuring {args.customers:,} …", flush=True)
    outcome = ensure_customers(engine, args.database_url, args.customers)
    print(f"customers: {outcome.customers:,} ({'loaded' if outcome.loaded else 'already there'})", flush=True)
    ensure_staff(engine, [StaffRole.STORE_CLERK, StaffRole.ADMINISTRATOR])
    codes = sample_codes(engine, args.customers, args.seed)
    hot = codes[: args.hot]
    started = time.perf_counter()
    posted = data.give_points(engine, args.points, hot, args.hot_points)
    print(
        f"points: {posted.accounts_opened:,} accounts opened, {posted.earned_entries:,} awards posted "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    data.ensure_rewards(engine, args.stock)
    pages = prewarm(engine)
    print("prewarm: pg_prewarm not available" if pages is None else f"prewarm: {pages:,} pages read", flush=True)
    spread, contention = scratch / "spread.txt", scratch / "hot.txt"
    spread.write_text("\n".join(codes) + "\n", encoding="utf-8")
    contention.write_text("\n".join(hot) + "\n", encoding="utf-8")
    return [
        Scenario("spread", spread, len(codes), LIMITED_EVERY, REPLAY_EVERY),
        Scenario("contention", contention, len(hot), 0, 0),
    ]


def wrk_once(
    server: Server, token: str, scenario: Scenario, prefix: str, seconds: int, args: argparse.Namespace, scratch: Path
) -> tuple[WrkResult, dict[int, int]]:
    """One wrk run with keys `prefix-THREAD-N`; its figures and responses by status."""
    extra = [prefix, data.UNLIMITED, data.LIMITED, str(scenario.limited_every), str(scenario.replay_every)]
    extra.append(str(scratch / prefix))
    load = Load(threads=args.threads, connections=args.connections, seconds=seconds)
    result = run_wrk(server.base_url, PATH, scenario.codes_file, token, load, script=SCRIPT, extra=extra)
    line = next(line for line in result.output.splitlines() if line.startswith("@@statuses "))
    statuses = {int(status): count for status, count in json.loads(line.removeprefix("@@statuses ")).items()}
    return result, statuses


def measure(
    engine: Engine, label: str, server: Server, scenarios: list[Scenario], args: argparse.Namespace, scratch: Path
) -> list[Run]:
    """Warm up, then each scenario once, each followed by its checks."""
    token = login(server.base_url, f"bench_{StaffRole.STORE_CLERK.value}")
    run_id = label[0] + time.strftime("%H%M%S")  # keys stay unique when a database is reused
    if args.warmup:  # without the limited reward, so its stock runs out under measurement
        warmup = replace(scenarios[0], limited_every=0)
        wrk_once(server, token, warmup, f"w{run_id}", args.warmup, args, scratch)
    meter = CpuMeter(server=server.pid, database=postmaster_pid(engine))
    runs = []
    for number, scenario in enumerate(scenarios):
        prefix = f"r{run_id}{number}"
        meter.start()
        result, statuses = wrk_once(server, token, scenario, prefix, args.duration, args, scratch)
        cpu = meter.per_request(result.requests)
        data.settle(engine)
        answers = data.read_answers(scratch, prefix)
        checks = data.check_answers(engine, prefix, answers, args.connections) + data.check_ledger(engine)
        runs.append(Run(label, scenario, result, statuses, cpu, checks))
        print(f"\n{label}, {scenario.name}: {result.rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms, statuses {statuses}")
        for check in checks:
            print(f"  {'ok  ' if check.held else 'FAIL'} {check.statement}", flush=True)
    return runs


def table(runs: list[Run]) -> list[str]:
    """The Markdown table of the runs."""
    head = ["server", "scenario", "customers", "req/s", "redemptions/s"]
    head += ["p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"]
    head += ["201", "200 (retry)", "409", "other non-2xx", "socket errors"]
    head += ["server CPU ms/req", "PostgreSQL CPU ms/req", "checks"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        result, statuses = run.result, run.statuses
        other = sum(count for status, count in statuses.items() if status >= 400 and status != 409)
        failed = sum(not check.held for check in run.checks)
        cells = [
            run.server, run.scenario.name, f"{run.scenario.customers:,}", f"{result.rps:,.0f}",
            f"{statuses.get(201, 0) / result.seconds:,.0f}", f"{result.p50_ms:.1f}", f"{result.p90_ms:.1f}",
            f"{result.p99_ms:.1f}", f"{result.p999_ms:.1f}", f"{result.max_ms:.1f}", f"{statuses.get(201, 0):,}",
            f"{statuses.get(200, 0):,}", f"{statuses.get(409, 0):,}", f"{other:,}", f"{result.socket_errors:,}",
            f"{run.cpu.server_ms:.2f}", "–" if run.cpu.database_ms is None else f"{run.cpu.database_ms:.2f}",
            "all held" if not failed else f"**{failed} failed**",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    """Prepare, measure, check, report; exit status 1 when a check failed."""
    args = parse_args(argv)
    started = time.perf_counter()
    engine = make_engine(args.database_url)
    with tempfile.TemporaryDirectory(prefix="telcocrm-redeem-") as folder:
        scratch = Path(folder)
        scenarios = prepare(engine, args, scratch)
        busy, load_before = busy_share(), os.getloadavg()
        runs: list[Run] = []
        servers = [("this checkout", None)] + ([(f"src of {args.also_src}", args.also_src)] if args.also_src else [])
        for label, source in servers:
            with running_server(args.database_url, args.workers, source=source) as server:
                runs += measure(engine, label, server, scenarios, args, scratch)
        load_after = os.getloadavg()
    workers = f"uvicorn, {server.workers} workers, {server.loop} + {server.http}"
    lines = machine_lines(engine, wrk=wrk_version(), server=workers, busy=busy)
    lines.append(f"load average (1, 5, 15 min) before the runs {_load(load_before)}, after {_load(load_after)}")
    engine.dispose()
    print(f"\n{args.customers:,} customers with points; wrk -t{args.threads} -c{args.connections} -d{args.duration}s")
    print(f"per run, POST {PATH}, flat out; the limited reward had {args.stock} units")
    print("\n".join(f"- {line}" for line in lines))
    print()
    print("\n".join(table(runs)))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        _write_json(args, lines, runs)
    if any(not check.held for run in runs for check in run.checks):
        raise SystemExit("a check failed: see above")


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def _write_json(args: argparse.Namespace, machine: list[str], runs: list[Run]) -> None:
    figures = [
        {
            "server": run.server,
            "scenario": run.scenario.name,
            "customers": run.scenario.customers,
            "rps": run.result.rps,
            "p50_ms": run.result.p50_ms,
            "p99_ms": run.result.p99_ms,
            "statuses": run.statuses,
            "socket_errors": run.result.socket_errors,
            "cpu_ms_per_request": {"server": run.cpu.server_ms, "database": run.cpu.database_ms},
            "checks": [{"statement": check.statement, "held": check.held} for check in run.checks],
        }
        for run in runs
    ]
    body = {"customers": args.customers, "machine": machine, "runs": figures}
    args.json.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
