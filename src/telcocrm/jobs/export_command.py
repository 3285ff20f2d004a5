"""`telcocrm results …`: the monthly run's results for analysts (registered in telcocrm.cli)."""

from __future__ import annotations

import os
import shutil
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from telcocrm.kit.refusals import refusal

if TYPE_CHECKING:
    import pyarrow.parquet as pq

results_app = typer.Typer(help="Results of the monthly run", no_args_is_help=True)
console = Console()

CSV_BATCH_ROWS = 65_536


class ExportFormat(StrEnum):
    PARQUET = "parquet"
    CSV = "csv"


@results_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="the file to write")],
    month: Annotated[str, typer.Option(help="the month run, YYYY-MM")],
    format: Annotated[
        ExportFormat | None, typer.Option("--format", help="parquet or csv (default: from OUT's suffix, else parquet)")
    ] = None,
) -> None:
    """Write a month's results, one row per subscriber with its customer's values, to OUT."""
    from telcocrm.errors import TelcoError

    try:
        source = results_file(month)
        chosen = format or (ExportFormat.CSV if out.suffix.lower() == ".csv" else ExportFormat.PARQUET)
        rows = write_export(source, out, chosen)
    except TelcoError as exc:
        raise refusal(exc, exit_code=2) from exc
    console.print(f"{month}: {rows} subscribers written to {out} ({chosen.value})")


def results_file(month: str) -> Path:
    """The month's subscriber results in the analytics store; NotFound when the month was never run."""
    from telcocrm.analytics.store import AnalyticsStore
    from telcocrm.errors import NotFound

    path = AnalyticsStore.from_settings().result_path(month, "subscriber_results")
    if not path.exists():
        raise NotFound(
            f"{month} 尚未运行月度批处理 / the monthly run has not been run for {month} "
            f"(run `telcocrm run-month {month}` first)",
            field="month",
            record=month,
        )
    return path


def write_export(source: Path, out: Path, format: ExportFormat) -> int:
    """Copy (Parquet) or convert (CSV) the results to `out` through a temporary file; the row count."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        if format is ExportFormat.PARQUET:
            shutil.copyfile(source, partial)
        else:
            _write_csv(parquet, partial)
        os.replace(partial, out)  # a reader never sees half a file
    finally:
        partial.unlink(missing_ok=True)
    return int(parquet.metadata.num_rows)


def _write_csv(parquet: pq.ParquetFile, path: Path) -> None:
    """CSV with a header, batch by batch, so a million rows never sit in memory at once."""
    import pyarrow.csv as csv

    with csv.CSVWriter(str(path), parquet.schema_arrow) as writer:
        for batch in parquet.iter_batches(batch_size=CSV_BATCH_ROWS):
            writer.write_batch(batch)
