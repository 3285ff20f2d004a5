"""HTTP load on PostgreSQL: TMF629 GET customer and the 360 view under wrk, against the goals of the issue.

Loads the customers (once: a database already holding exactly that many is reused), reads the base into
PostgreSQL's shared buffers (pg_prewarm), starts uvicorn as a separate process on a free loopback port, and
runs wrk for each scenario: flat out, paced at the goal rate and paced at twice the goal rate, with a store
clerk's token (masked data, no audit row) and with an administrator's (unmasked, one audit row per
response). Prints the machine and a Markdown table (docs/benchmarks.md).

    TELCOCRM_PG_OPTIONS="-c shared_buffers=2GB" scripts/with-postgres.sh .venv/bin/python benchmarks/bench_http.py
    scripts/with-postgres.sh .venv/bin/python benchmarks/bench_http.py --customers 20000    # smoke run, ~75 s

The database is the one in TELCOCRM_TEST_DATABASE_URL (scripts/with-postgres.sh sets it) or --database-url.
`--baseline-src DIR` also measures the `src` of another checkout (`git archive COMMIT src | tar -x -C DIR`),
before this one in the same run, and adds the before/after ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from httpbench.cpu import CpuMeter, CpuUse, postmaster_pid
from httpbench.dataset import ensure_customers, prewarm, sample_codes
from httpbench.report import Measured, busy_share, machine_lines, table
from httpbench.scenarios import Scenario, plan
from httpbench.server import Server, ensure_staff, fetch_status, login, running_server
from httpbench.wrk import Load, WrkResult, run_wrk, wrk_version
from sqlalchemy import Engine

from telcocrm.db.engine import make_engine
from telcocrm.models.enums import StaffRole

SMOKE_BELOW = 100_000  # fewer customers than this: a smoke run with short wrk runs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the database")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TELCOCRM_TEST_DATABASE_URL", ""),
        help="PostgreSQL, empty or holding exactly --customers (default: $TELCOCRM_TEST_DATABASE_URL)",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--duration", type=int, default=None, help="seconds per run (default 20; 5 for a smoke run)")
    parser.add_argument("--warmup", type=int, default=None, help="seconds of warm-up per endpoint (default 10; 3)")
    parser.add_argument("--codes", type=int, default=100_000, help="random customer codes the requests pick from")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the code sample")
    parser.add_argument("--no-admin", action="store_true", help="skip the administrator (audited) runs")
    parser.add_argument("--baseline-src", type=Path, default=None, help="another checkout to compare with")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error(
            "give a PostgreSQL URL (--database-url or TELCOCRM_TEST_DATABASE_URL): see scripts/with-postgres.sh"
        )
    smoke = args.customers < SMOKE_BELOW
    args.duration = args.duration or (5 if smoke else 20)
    args.warmup = args.warmup if args.warmup is not None else (3 if smoke else 10)
    return args


def prepare(engine: Engine, args: argparse.Namespace, scratch: Path) -> Path:
    """Load the customers when needed, make the staff users, write the code sample; returns the sample file."""
    print(f"customers: ensuring {args.customers:,} …", flush=True)
    outcome = ensure_customers(engine, args.database_url, args.customers)
    how = f"loaded in {outcome.seconds:.0f} s" if outcome.loaded else "already there"
    print(f"customers: {outcome.customers:,} ({how})", flush=True)
    ensure_staff(engine, [StaffRole.STORE_CLERK, StaffRole.ADMINISTRATOR])
    pages = prewarm(engine)
    print("prewarm: pg_prewarm not available" if pages is None else f"prewarm: {pages:,} pages read", flush=True)
    codes_file = scratch / "codes.txt"
    codes_file.write_text("\n".join(sample_codes(engine, args.codes, args.seed)) + "\n", encoding="utf-8")
    return codes_file


Run = tuple[WrkResult, CpuUse]


def measure(
    server: Server, meter: CpuMeter, scenarios: list[Scenario], codes_file: Path, args: argparse.Namespace
) -> list[Run]:
    """Warm each endpoint up, then run its scenarios; returns one result per scenario, in order."""
    tokens = {role: login(server.base_url, f"bench_{role.value}") for role in {s.role for s in scenarios}}
    sample = codes_file.read_text(encoding="utf-8").split()[0]
    results: list[Run] = []
    warmed = set()
    for scenario in scenarios:
        endpoint, token = scenario.endpoint, tokens[scenario.role]
        if endpoint not in warmed:
            status = fetch_status(server.base_url, endpoint.path % sample, token)
            if status != 200:
                raise SystemExit(f"{endpoint.name} answered {status} for customer {sample}: not worth loading")
            if args.warmup:
                run_wrk(server.base_url, endpoint.path, codes_file, token, _load(args, None, args.warmup))
            warmed.add(endpoint)
        meter.start()
        result = run_wrk(server.base_url, endpoint.path, codes_file, token, _load(args, scenario.rate, args.duration))
        cpu = meter.per_request(result.requests)
        print(
            f"  {endpoint.name:<20} {scenario.role.value:<14} {scenario.kind.value:<13} {result.rps:>8,.0f} req/s "
            f"p99 {result.p99_ms:7.1f} ms  errors {result.errors:,}  CPU/req: server {cpu.server_ms:.2f} ms",
            flush=True,
        )
        results.append((result, cpu))
    return results


def _load(args: argparse.Namespace, rate: int | None, seconds: int) -> Load:
    return Load(threads=args.threads, connections=args.connections, seconds=seconds, rate=rate)


def run_all(
    engine: Engine, args: argparse.Namespace, codes_file: Path, source: Path | None
) -> tuple[Server, list[Run]]:
    """Every scenario against one server (this checkout, or `source`)."""
    scenarios = plan(admin=not args.no_admin)
    label = f"server from {source}" if source else "server from this checkout"
    print(f"{label}: {len(scenarios)} runs of {args.duration} s", flush=True)
    with running_server(args.database_url, args.workers, source=source) as server:
        meter = CpuMeter(server=server.pid, database=postmaster_pid(engine))
        return server, measure(server, meter, scenarios, codes_file, args)


def main(argv: list[str] | None = None) -> None:
    """Prepare, measure (the baseline first when asked), report."""
    args = parse_args(argv)
    started = time.perf_counter()
    engine = make_engine(args.database_url)
    with tempfile.TemporaryDirectory(prefix="telcocrm-http-") as scratch:
        codes_file = prepare(engine, args, Path(scratch))
        busy = busy_share()
        before = run_all(engine, args, codes_file, args.baseline_src)[1] if args.baseline_src else None
        server, after = run_all(engine, args, codes_file, None)
    scenarios = plan(admin=not args.no_admin)
    rows = [
        Measured(scenario, result, cpu, before[i][0] if before else None)
        for i, (scenario, (result, cpu)) in enumerate(zip(scenarios, after, strict=True))
    ]
    workers = f"uvicorn, {server.workers} workers, {server.loop} + {server.http}"
    lines = machine_lines(engine, wrk=wrk_version(), server=workers, busy=busy)
    engine.dispose()
    print()
    print(f"{args.customers:,} customers; wrk -t{args.threads} -c{args.connections} -d{args.duration}s per run")
    for line in lines:
        print(f"- {line}")
    print()
    print("\n".join(table(rows)))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        _write_json(args, lines, rows)


def _write_json(args: argparse.Namespace, machine: list[str], rows: list[Measured]) -> None:
    def figures(result: WrkResult | None) -> dict[str, object] | None:
        return (
            None if result is None else {k: v for k, v in asdict(result).items() if k != "output"} | {"rps": result.rps}
        )

    data = {
        "customers": args.customers,
        "machine": machine,
        "runs": [
            {
                "endpoint": row.scenario.endpoint.name,
                "role": row.scenario.role.value,
                "kind": row.scenario.kind.value,
                "rate": row.scenario.rate,
                "goal": row.scenario.goal,
                "verdict": row.scenario.verdict(row.result),
                "result": figures(row.result),
                "cpu_ms_per_request": asdict(row.cpu),
                "baseline": figures(row.baseline),
            }
            for row in rows
        ],
    }
    args.json.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
