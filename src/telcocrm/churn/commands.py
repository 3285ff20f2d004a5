"""`telcocrm churn …`: train, evaluate and score the learned churn model on an operator's own table.

Heavy libraries are imported inside each command so that `telcocrm --help` stays fast. Progress goes to stderr,
so that `evaluate --json` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from telcocrm.churn.monthly_commands import train_monthly
from telcocrm.errors import TelcoError
from telcocrm.kit.refusals import refusal

if TYPE_CHECKING:
    import pandas as pd

    from telcocrm.churn.model_file import ChurnModel
    from telcocrm.churn.report import Evaluation
    from telcocrm.churn.table import LabelledTable

T = TypeVar("T")

churn_app = typer.Typer(
    help="Churn model: train, evaluate and score any labelled table; train the monthly model", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)

TableOpt = Annotated[Path, typer.Option("--table", help="CSV or Parquet table, one row per subscriber or customer")]
LabelOpt = Annotated[str, typer.Option("--label", help="the churn column (Yes/No, True/False, 1/0 …)")]
IdOpt = Annotated[str | None, typer.Option("--id", help="the id column: kept out of the features")]
HeaderOpt = Annotated[bool, typer.Option("--header/--no-header", help="--no-header: columns are column_1 … column_N")]


@churn_app.command("train")
def train_command(
    table: TableOpt,
    label: LabelOpt,
    out: Annotated[Path, typer.Option("--out", help="the model file to write (JSON)")],
    id_column: IdOpt = None,
    header: HeaderOpt = True,
    seed: int = 42,
    horizon_months: Annotated[int | None, typer.Option(help="months ahead the label looks")] = None,
    training_window: Annotated[str | None, typer.Option(help="e.g. 2025-01..2025-12, recorded in the file")] = None,
) -> None:
    """Train on the whole table, report the cross-validated figures and write the model file."""
    from telcocrm.churn.trainer import train_churn_model

    data = _read(table, label, id_column, header)
    model = _guard(
        lambda: train_churn_model(
            data.features, data.label, seed=seed, label_name=label, id_column=id_column, dropped=data.dropped,
            horizon_months=horizon_months, training_window=training_window, say=_say,
        )
    )  # fmt: skip
    model.save(out)
    _print_dropped(data.dropped)
    _print_figures("交叉验证 / cross-validated", model.metrics["cross_validated"], {})
    console.print(f"model written to [bold]{out}[/bold] ({model.rows['train']:,} rows, {model.settings['candidate']})")


@churn_app.command("evaluate")
def evaluate_command(
    table: TableOpt,
    label: LabelOpt,
    id_column: IdOpt = None,
    header: HeaderOpt = True,
    test_size: Annotated[float, typer.Option("--test-size", help="share of rows held out, stratified")] = 0.2,
    seed: int = 42,
    train_rows: Annotated[
        int | None, typer.Option("--train-rows", help="train on the first N rows, test on the rest")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object and nothing else")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="HTML report; default next to the table")] = None,
) -> None:
    """Hold out a test part, train on the rest only, and report how well the test part is ranked."""
    from telcocrm.churn.report import evaluate_table

    data = _read(table, label, id_column, header)
    result = _guard(lambda: evaluate_table(data, test_size=test_size, seed=seed, train_rows=train_rows, say=_say))
    if as_json:
        print(json.dumps({**result.metrics, "n_train": result.n_train, "n_test": result.n_test}))
        return
    from telcocrm.churn.report import write_report

    _print_dropped(data.dropped)
    _print_figures(
        f"测试集 / test ({result.n_test:,} rows; trained on {result.n_train:,})", result.metrics, result.intervals
    )
    _print_calibration(result)
    written = write_report(report or table.with_name(f"{table.stem}.churn-report.html"), result)
    console.print(f"report written to [bold]{written}[/bold]")


@churn_app.command("score")
def score_command(
    table: TableOpt,
    model_file: Annotated[Path, typer.Option("--model", help="a model file written by `churn train`")],
    out: Annotated[Path, typer.Option("--out", help="CSV or Parquet: id, probability, top three features")],
    header: HeaderOpt = True,
) -> None:
    """Score every row of a table with a model file; refuses a table that does not match the model."""
    from telcocrm.churn.model_file import ChurnModel
    from telcocrm.churn.table import read_frame

    model = _guard(lambda: ChurnModel.load(model_file))
    frame = _guard(lambda: read_frame(table, header=header))
    _say(f"scoring {len(frame):,} rows")
    scored = _guard(lambda: score_table(model, frame))
    if out.suffix.lower() in {".parquet", ".pq"}:
        scored.to_parquet(out, index=False)
    else:
        scored.to_csv(out, index=False)
    console.print(f"{len(scored):,} rows scored → [bold]{out}[/bold]")


def score_table(model: ChurnModel, frame: pd.DataFrame, reasons: int = 3) -> pd.DataFrame:
    """Id (when the model names one and the table has it), probability and the features pushing risk up most."""
    import numpy as np
    import pandas as pd

    probability = model.predict_proba(frame)
    contributions = model.contributions(frame)
    top = np.argsort(-contributions.to_numpy(), axis=1, kind="stable")[:, :reasons]
    names = np.asarray(model.feature_names, dtype=object)
    scored = pd.DataFrame({"probability": probability})
    if model.id_column and model.id_column in frame.columns:
        scored.insert(0, model.id_column, frame[model.id_column].to_numpy())
    for n in range(min(reasons, len(names))):
        scored[f"feature_{n + 1}"] = names[top[:, n]]
    return scored


def _read(table: Path, label: str, id_column: str | None, header: bool) -> LabelledTable:
    from telcocrm.churn.table import read_labelled_table

    _say(f"reading {table}")
    return _guard(lambda: read_labelled_table(table, label, id_column=id_column, header=header))


def _guard(work: Callable[[], T]) -> T:
    try:
        return work()
    except TelcoError as exc:
        raise refusal(exc, exit_code=2) from exc


def _say(message: str) -> None:
    err.print(f"[dim]{message}[/dim]")


def _print_dropped(dropped: dict[str, str]) -> None:
    for name, why in dropped.items():
        err.print(f"column [bold]{name}[/bold] not used: {why}")


def _print_figures(title: str, metrics: Mapping[str, float], intervals: Mapping[str, tuple[float, float]]) -> None:
    table = Table(title=title)
    for column in ("figure", "value", "95% interval"):
        table.add_column(column, justify="right" if column != "figure" else "left")
    for key, value in metrics.items():
        low, high = intervals.get(key, (None, None))
        table.add_row(key, f"{value:.4f}", f"{low:.4f} – {high:.4f}" if low is not None and high is not None else "")
    console.print(table)


def _print_calibration(result: Evaluation) -> None:
    table = Table(title="校准 / calibration (test rows by predicted probability)")
    for column in ("bin", "rows", "predicted", "observed"):
        table.add_column(column, justify="right")
    for row in result.calibration:
        table.add_row(str(row["bin"]), f"{row['rows']:,}", f"{row['predicted']:.3f}", f"{row['observed']:.3f}")
    console.print(table)


churn_app.command("train-monthly")(train_monthly)
