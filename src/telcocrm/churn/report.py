"""`churn evaluate`: a held-out test of the trainer, and the report an analyst opens in a browser.

One self-contained HTML file: the charts are inline SVG drawn by web/charts.py, the same numbers are in tables
beside them, nothing is fetched from the network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from markupsafe import Markup, escape
from sklearn.model_selection import train_test_split

from telcocrm.churn.metrics import bootstrap_intervals, calibration_table, lift_table, roc_points, score_metrics
from telcocrm.churn.table import LabelledTable
from telcocrm.churn.trainer import Say, train_churn_model
from telcocrm.errors import InvalidInput
from telcocrm.web.charts import Series, chart_svg

ROC_STEPS = 20  # the ROC curve read at every 5% of false positives
FIGURES = (
    ("roc_auc", "ROC AUC"),
    ("pr_auc", "PR AUC"),
    ("top_decile_lift", "前10%提升度 / top-decile lift"),
    ("top_decile_capture", "前10%捕获率 / top-decile capture"),
    ("brier", "Brier"),
    ("base_rate", "流失率 / churn rate"),
)
STYLE = """body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem;color:#1d2733;max-width:60rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #dde3ea;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}.chart text{font-size:11px;fill:#1d2733}"""


@dataclass(frozen=True)
class Evaluation:
    """A held-out test: its labels and probabilities, their figures and 95% intervals, the split's sizes."""

    title: str
    y: np.ndarray
    probability: np.ndarray
    metrics: Mapping[str, float]
    intervals: Mapping[str, tuple[float, float]]
    n_train: int
    n_test: int
    notes: Sequence[str] = ()

    @property
    def calibration(self) -> list[dict[str, float]]:
        """Test rows in ten equal bins of predicted probability: predicted against observed."""
        return calibration_table(self.y, self.probability)


def evaluate_table(
    table: LabelledTable,
    *,
    test_size: float = 0.2,
    seed: int = 42,
    train_rows: int | None = None,
    bootstrap_rounds: int = 200,
    say: Say | None = None,
) -> Evaluation:
    """Split (stratified, or the first train_rows rows), train on the train part only, score the test part."""
    train, test = split_rows(table.label, test_size=test_size, seed=seed, train_rows=train_rows)
    model = train_churn_model(
        table.features.iloc[train], table.label[train], seed=seed, label_name=table.label_name, say=say
    )
    y, probability = table.label[test], model.predict_proba(table.features.iloc[test])
    how = f"first {len(train):,} rows" if train_rows else f"stratified {1 - test_size:.0%}/{test_size:.0%}, seed {seed}"
    notes = [
        f"训练 / trained on {len(train):,} rows ({how}), tested on {len(test):,}; settings {model.settings}",
        *(f"未使用列 / column not used: {name}: {why}" for name, why in model.dropped.items()),
        *(f"未使用列 / column not used: {name}: {why}" for name, why in table.dropped.items()),
    ]
    return Evaluation(
        title=f"流失模型评估 / Churn model evaluation: {table.label_name}",
        y=y,
        probability=probability,
        metrics=score_metrics(y, probability),
        intervals=bootstrap_intervals(y, probability, rounds=bootstrap_rounds, seed=seed),
        n_train=len(train),
        n_test=len(test),
        notes=notes,
    )


def split_rows(
    label: np.ndarray, *, test_size: float, seed: int, train_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions: the first train_rows rows against the rest, or a stratified random split."""
    rows = np.arange(len(label))
    if train_rows is not None:
        if not 0 < train_rows < len(label):
            raise InvalidInput(
                f"训练行数须在 1 与 {len(label) - 1} 之间 / --train-rows out of range", field="train_rows"
            )
        return rows[:train_rows], rows[train_rows:]
    if not 0 < test_size < 1:
        raise InvalidInput("测试比例须在 0 与 1 之间 / --test-size must be between 0 and 1", field="test_size")
    train, test = train_test_split(rows, test_size=test_size, stratify=label, random_state=seed)
    return np.sort(train), np.sort(test)


def write_report(path: Path, evaluation: Evaluation) -> Path:
    """Write the HTML report and return its path."""
    path.write_text(render_report(evaluation), encoding="utf-8")
    return path


def render_report(evaluation: Evaluation) -> str:
    """The report as one HTML document."""
    lifts = lift_table(evaluation.y, evaluation.probability)
    parts = [
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{escape(evaluation.title)}</title>',
        f"<style>{STYLE}</style></head><body><h1>{escape(evaluation.title)}</h1>",
        *(f"<p>{escape(note)}</p>" for note in evaluation.notes),
        _figures_table(evaluation),
        "<h2>ROC</h2>",
        roc_chart(evaluation.y, evaluation.probability),
        "<h2>提升度 / Lift by decile</h2>",
        lift_chart(lifts),
        _table(["decile", "rows", "churners", "churn_rate", "lift", "cumulative_capture"], lifts),
        "<h2>校准 / Calibration</h2>",
        _table(["bin", "rows", "predicted", "observed", "low", "high"], evaluation.calibration),
        "</body></html>",
    ]
    return "\n".join(str(part) for part in parts)


def roc_chart(y: np.ndarray, probability: np.ndarray) -> Markup:
    """The ROC curve read every 5% of false positives, against the diagonal of a random order."""
    fpr, tpr = roc_points(y, probability)
    grid = np.linspace(0.0, 1.0, ROC_STEPS + 1)
    reached = np.interp(grid, fpr, tpr)
    return chart_svg(
        chart_id="churn-roc",
        title="ROC 曲线 / ROC curve",
        description="True positive rate (%) at each false positive rate, model against random order.",
        categories=[f"{x:.0%}" for x in grid],
        series=[
            Series("模型 / model", [round(v * 100) for v in reached], kind="line"),
            Series("随机 / random", [round(x * 100) for x in grid], kind="line"),
        ],
        y_label="真正率 / TPR %",
        fmt=lambda v: f"{v}%",
    )


def lift_chart(lifts: Sequence[Mapping[str, float]]) -> Markup:
    """Lift per score decile as bars, cumulative capture of churners as a line (both in percent)."""
    return chart_svg(
        chart_id="churn-lift",
        title="分位提升度与累计捕获 / Lift and cumulative capture by decile",
        description="Bars: churn rate of each decile over the base rate, in percent. Line: share of churners caught.",
        categories=[str(int(row["decile"])) for row in lifts],
        series=[
            Series("提升度 / lift ×100", [round(row["lift"] * 100) for row in lifts]),
            Series("累计捕获 / capture %", [round(row["cumulative_capture"] * 100) for row in lifts], kind="line"),
        ],
        y_label="%",
    )


def _figures_table(evaluation: Evaluation) -> str:
    rows = []
    for key, name in FIGURES:
        if key not in evaluation.metrics:
            continue
        low, high = evaluation.intervals.get(key, (float("nan"), float("nan")))
        rows.append(
            f"<tr><td>{escape(name)}</td><td>{evaluation.metrics[key]:.4f}</td><td>{low:.4f} – {high:.4f}</td></tr>"
        )
    return (
        "<table><tr><th>指标 / figure</th><th>值 / value</th><th>95% 区间 / interval</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _table(columns: Sequence[str], rows: Sequence[Mapping[str, float]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(row[c])}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"
