"""The `telcocrm synth` command (registered in telcocrm.cli). Heavy imports stay inside the function."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from telcocrm.kit.refusals import refusal


def synth(
    out: Annotated[Path, typer.Argument(help="output folder (created); existing files in it are replaced")],
    subscribers: Annotated[
        int, typer.Option(help="subscribers to generate (own-product lines of leavers come on top)")
    ],
    months: Annotated[int, typer.Option(help="months of extracts, ending with --end-month")] = 12,
    seed: Annotated[int, typer.Option(help="random seed: the same arguments always give the same bytes")] = 1,
    end_month: Annotated[
        str | None, typer.Option(help="last month YYYY-MM (default: last calendar month in Asia/Shanghai)")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv (truth files are always Parquet)")] = (
        "parquet"
    ),
) -> None:
    """Write a synthetic operator (合成运营商数据): customers, monthly billing extracts and the hidden truth.

    OUT/customers.(parquet|csv) is the customer import file at the end of the last month, with the profile
    columns and each line's brand; OUT/YYYY-MM/{bills,usage,events,integrity,topups} are the month's extracts
    in the ingest input format; OUT/truth/{subscribers,churn}.parquet hold what the data hides (sunk, late
    payers, fraud, who left when, why and where to). See docs/data-contract.md, "Synthetic operator".
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from telcocrm.errors import InvalidInput
    from telcocrm.kit.months import parse_month, previous_calendar_month
    from telcocrm.synth.generate import generate

    console = Console()
    month = end_month or previous_calendar_month(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    try:
        parse_month(month, field="end_month")
    except InvalidInput as exc:
        raise refusal(exc, exit_code=2) from exc
    wrong = {"format": file_format not in ("parquet", "csv"), "subscribers": subscribers < 1, "months": months < 1}
    field = next((name for name, bad in wrong.items() if bad), None)
    if field:
        message = "--format parquet|csv, --subscribers ≥ 1, --months ≥ 1"
        raise refusal(InvalidInput(message, field=field), exit_code=2)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"synth {subscribers:,} subscribers × {months} months", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = generate(
            out,
            subscribers=subscribers,
            months=months,
            seed=seed,
            end_month=month,
            file_format=file_format,
            progress=advance,
        )
    console.print(
        f"wrote {summary.customers:,} customers, {summary.subscribers:,} subscribers "
        f"({summary.leavers:,} left in the window) to {out}"
    )
