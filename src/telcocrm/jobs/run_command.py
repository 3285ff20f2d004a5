"""`telcocrm run-month YYYY-MM [--engine duckdb|spark]` (registered in telcocrm.cli)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from telcocrm.analytics.backends import Engine
from telcocrm.kit.refusals import refusal

console = Console()


def run_month_command(
    month: Annotated[str, typer.Argument(help="the month to run, YYYY-MM")],
    engine: Annotated[Engine, typer.Option(help="duckdb (in-process) or spark")] = Engine.DUCKDB,
) -> None:
    """Re-rate, segment and stage every customer and subscriber for a month of ingested billing data."""
    from telcocrm.db.engine import get_engine
    from telcocrm.errors import TelcoError
    from telcocrm.jobs.monthly_run import STEPS, run_month
    from telcocrm.jobs.run_summary import print_summary

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"run {month}", total=len(STEPS))

        def on_step(name: str) -> None:
            done = STEPS.index(name)
            progress.update(task, completed=done, description=f"run {month}: {name}")

        try:
            report = run_month(month, database=get_engine(), engine=engine, on_step=on_step)
        except TelcoError as exc:  # the user's to fix (a month not ingested, a store in use): no traceback
            progress.stop()
            raise refusal(exc, exit_code=1) from exc
        progress.update(task, completed=len(STEPS), description=f"run {month}: done")
    print_summary(console, report)
