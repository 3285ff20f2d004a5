"""The `telcocrm ingest` command (registered in telcocrm.cli). Heavy imports stay inside the function."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from telcocrm.kit.refusals import refusal

if TYPE_CHECKING:
    from telcocrm.extracts.ingest import IngestReport
    from telcocrm.imports.problems import ImportRefused

SHOWN_PROBLEMS = 50
console = Console()
err = Console(stderr=True)


def ingest(
    folder: Annotated[
        Path, typer.Argument(help="the month's folder: bills, usage, events, integrity, topups; optional referrals")
    ],
    month: Annotated[str, typer.Option("--month", help="the month the extracts are for, YYYY-MM")],
) -> None:
    """Check a month of billing extracts and land it in the analytics store."""
    from telcocrm.db.engine import get_engine
    from telcocrm.errors import TelcoError
    from telcocrm.extracts.ingest import ingest_month
    from telcocrm.imports.problems import ImportRefused

    try:
        report = ingest_month(folder, month, engine=get_engine())
    except ImportRefused as exc:
        print_refusal(exc)
        raise typer.Exit(1) from exc
    except TelcoError as exc:
        raise refusal(exc, exit_code=1) from exc
    _audit(folder, report)
    _print_report(report)


def print_refusal(exc: ImportRefused) -> None:
    """Every problem of a refused file (the first SHOWN_PROBLEMS), by file, row and field."""
    table = Table(title=f"refused: {exc.total} problem(s); nothing was written")
    for column in ("file", "row", "field", "reason"):
        table.add_column(column)
    for problem in exc.problems[:SHOWN_PROBLEMS]:
        table.add_row(problem.file, str(problem.line) if problem.line else "-", problem.field or "-", problem.reason)
    err.print(table)
    if exc.total > SHOWN_PROBLEMS:
        err.print(f"… and {exc.total - SHOWN_PROBLEMS} more")


def _print_report(report: IngestReport) -> None:
    table = Table(title=f"ingested {report.month}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"{report.seconds:.1f} s, {report.subscriber_months_per_second:,.0f} subscriber-months/s"
        f" ({report.subscriber_months:,} subscriber-months)"
    )
    if report.catalogue_note:
        err.print(f"[yellow]catalogue not refreshed[/yellow]: {report.catalogue_note}")


def _audit(folder: Path, report: IngestReport) -> None:
    """One audit record per ingested month: who landed which folder, with the rows per table."""
    from telcocrm.db.engine import session_scope
    from telcocrm.staff import audit
    from telcocrm.staff.rules import system_viewer

    with session_scope() as db:
        audit.record(
            db=db,
            viewer=system_viewer("cli-ingest"),
            action="extracts.ingest",
            resource_type="month",
            resource_id=report.month,
            detail={"folder": folder.name, **report.rows},
        )
