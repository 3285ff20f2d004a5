"""The demo operator: a synthetic operator imported, its months ingested and run, so every page has data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from telcocrm.jobs.monthly_run import RunReport

Say = Callable[[str], None]


def build_demo_operator(
    folder: Path, *, database: Engine, subscribers: int, months: int, seed: int, say: Say
) -> RunReport:
    """Synthesise, import, ingest and run every month, oldest first; the last month's run report."""
    from telcocrm.extracts.ingest import ingest_month
    from telcocrm.imports import import_customers
    from telcocrm.jobs.monthly_run import run_month
    from telcocrm.kit.months import previous_calendar_month, window
    from telcocrm.synth.generate import generate

    end_month = previous_calendar_month(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    say(f"synthesising {subscribers:,} subscribers × {months} months up to {end_month}")
    generate(folder, subscribers=subscribers, months=months, seed=seed, end_month=end_month)
    imported = import_customers(folder / "customers.parquet", engine=database, actor="demo")
    say(f"imported {imported.customers:,} customers and {imported.subscribers:,} subscribers")
    report: RunReport | None = None
    for month in window(end_month, months):
        ingest_month(folder / month, month, engine=database)
        report = run_month(month, database=database)
        say(f"{month}: ingested and run in {report.seconds:.1f} s")
    assert report is not None  # months ≥ 1
    return report
