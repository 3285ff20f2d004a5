"""`telcocrm churn train-monthly`: the churn model from the store's own months, validated out of time, published."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from telcocrm.kit.refusals import refusal

console = Console()
err = Console(stderr=True)


def train_monthly(
    through: Annotated[str | None, typer.Option(help="newest month of results to use (YYYY-MM)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the search and the sampling")] = 42,
    publish: Annotated[
        bool, typer.Option("--publish/--no-publish", help="make it the model the run scores with")
    ] = True,
) -> None:
    """Train on the older labelled months of the run's results, test on the newest, compare with the warning rules."""
    from telcocrm.analytics.store import AnalyticsStore
    from telcocrm.churn.monthly_model import publish_model, train_monthly_model
    from telcocrm.config import get_settings
    from telcocrm.errors import InvalidInput

    try:
        trained = train_monthly_model(AnalyticsStore.from_settings(), through=through, seed=seed, say=err.print)
    except InvalidInput as exc:
        raise refusal(exc, exit_code=1) from exc
    _print_quality(trained.out_of_time, trained.rules_top_decile_capture, trained.window.describe())
    if publish:
        path = publish_model(trained.model, get_settings().data_dir)
        console.print(f"published model {trained.version}: {path} (the next run-month scores with it)")


def _print_quality(model: dict[str, float], rules_capture: float, window: str) -> None:
    table = Table(title=f"out of time: {window}")
    table.add_column("measure")
    table.add_column("model", justify="right")
    table.add_column("warning rules", justify="right")
    table.add_row("ROC AUC", f"{model['roc_auc']:.3f}", "")
    table.add_row("PR AUC", f"{model['pr_auc']:.3f}", "")
    table.add_row("top-decile capture", f"{model['top_decile_capture']:.1%}", f"{rules_capture:.1%}")
    table.add_row("top-decile lift", f"{model['top_decile_lift']:.2f}", f"{rules_capture / 0.1:.2f}")
    table.add_row("base rate", f"{model['base_rate']:.2%}", "")
    console.print(table)
