"""The summary a month's run prints: counts per rating, class, segment and stage, and moves since last month."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.kit.money import cny
from telcocrm.kit.months import add_months

if TYPE_CHECKING:
    from rich.console import Console

    from telcocrm.jobs.monthly_run import RunReport

# What the summary counts: (title, results file, column). Customers are counted once, subscribers per line.
COUNTED = (
    ("credit_rating", "credit", "credit_rating"),
    ("credit_class", "credit", "credit_class"),
    ("segment", "segments", "segment"),
    ("value_tier", "segments", "value_tier"),
    ("star_tier", "segments", "star_tier"),
    ("lifecycle_stage", "lifecycle", "lifecycle_stage"),
)
KEYS = {"credit": "customer_code", "segments": "customer_code", "lifecycle": "subscriber_id"}


@dataclass
class RunSummary:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # title → value → how many
    moves: dict[str, dict[str, int]] = field(default_factory=dict)  # title → "A→B" → how many (since last month)
    previous_month: str | None = None
    points: dict[str, int] = field(default_factory=dict)  # computed / published points, customers, liability


def summarise(store: AnalyticsStore, month: str, out: Path) -> RunSummary:
    """Counts from the month's results in `out`; moves against the previous month's results when it was run."""
    previous = add_months(month, -1)
    previous_dir = store.month_dir("results", previous)
    summary = RunSummary(previous_month=previous if previous_dir.exists() else None)
    for title, name, column in COUNTED:
        now = _read(out / f"{name}.parquet", KEYS[name], column)
        summary.counts[title] = _value_counts(now[column])
        if summary.previous_month:
            before = _read(previous_dir / f"{name}.parquet", KEYS[name], column)
            summary.moves[title] = _moves(before, now, KEYS[name], column)
    summary.points = _points(out)
    return summary


def _points(out: Path) -> dict[str, int]:
    """The month's points: computed for everyone, published to some, and the reward cost accrued."""
    awards_file, liability_file = out / "points_awards.parquet", out / "points_liability.parquet"
    if not awards_file.exists() or not liability_file.exists():
        return {}
    awards = pq.read_table(awards_file, columns=["customer_code", "points", "published"])
    shown = awards.filter(awards["published"])
    liability = pq.read_table(liability_file, columns=["liability_fen"])["liability_fen"]
    return {
        "computed": int(pc.sum(awards["points"]).as_py() or 0),
        "published": int(pc.sum(shown["points"]).as_py() or 0),
        "customers": len(pc.unique(shown["customer_code"])),
        "liability_fen": int(pc.sum(liability).as_py() or 0),
    }


def _read(path: Path, key: str, column: str) -> pa.Table:
    if not path.exists():
        return pa.table({key: pa.array([], pa.string()), column: pa.array([], pa.string())})
    return pq.read_table(path, columns=[key, column])


def _value_counts(values: pa.ChunkedArray) -> dict[str, int]:
    counted = pc.value_counts(values.fill_null("—"))
    return dict(sorted((str(v["values"]), int(v["counts"])) for v in counted.to_pylist()))


def _moves(before: pa.Table, now: pa.Table, key: str, column: str) -> dict[str, int]:
    """How many kept their key but changed value, by "old→new"; joined in Arrow (one row per key and month)."""
    joined = now.join(before.rename_columns([key, "before"]), key, join_type="inner")
    changed = joined.filter(pc.not_equal(joined[column].fill_null("—"), joined["before"].fill_null("—")))
    pairs = pc.binary_join_element_wise(changed["before"].fill_null("—"), changed[column].fill_null("—"), "→")
    return _value_counts(pairs)


def print_summary(console: Console, report: RunReport) -> None:
    """Print the run's figures and the summary as tables."""
    from rich.table import Table

    rate = report.subscribers / report.seconds if report.seconds else 0.0
    console.print(
        f"[bold]{report.month}[/bold] on {report.engine}, rules {report.rules_version}: "
        f"{report.subscribers:,} subscribers, {report.customers:,} customers in {report.seconds:.1f} s "
        f"({rate:,.0f} subscribers/s)"
    )
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.step_seconds.items())
    console.print(f"steps: {steps}")
    summary = report.summary or RunSummary()
    if summary.points:
        p = summary.points
        console.print(
            f"积分 points: {p['computed']:,} computed, {p['published']:,} published to {p['customers']:,} "
            f"customers, liability {cny(p['liability_fen'])} CNY"
        )
    for title, counts in summary.counts.items():
        table = Table(title=title)
        table.add_column("value")
        table.add_column("count", justify="right")
        table.add_column(f"moves since {summary.previous_month}" if summary.previous_month else "moves")
        moves = summary.moves.get(title, {})
        for value, count in counts.items():
            into = {pair: n for pair, n in moves.items() if pair.endswith(f"→{value}")}
            table.add_row(value, f"{count:,}", ", ".join(f"{pair} {n:,}" for pair, n in into.items()))
        console.print(table)
