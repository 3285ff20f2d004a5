"""The monthly churn model learns from the run's own results: each line of a past month, labelled by whether it
left within the next N months, validated out of time (trained on older months, tested on the newest ones).

The lines of month M are those of results/month=M/subscriber_features.parquet still in the network at the month's
end; a line is labelled "left" when a later month's features show it terminated in one of the months M+1 … M+N.
Only months with all N months after them in the store are labelled, so no line is called a stayer for lack of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from telcocrm.analytics import schemas
from telcocrm.analytics.backends import Engine, connect, read_parquet
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn.monthly_config import Training
from telcocrm.errors import InvalidInput
from telcocrm.kit.months import add_months


@dataclass(frozen=True)
class TrainingWindow:
    """Months to learn from and months to test on (both labelled), and the horizon of the label."""

    train_months: list[str]
    test_months: list[str]
    horizon: int

    def describe(self) -> str:
        """`2025-01..2025-08 → test 2025-09 (left within 3 months)`."""
        return f"{self.train_months[0]}..{self.train_months[-1]} → test {', '.join(self.test_months)}" + (
            f" (left within {self.horizon} months)"
        )


def training_window(available: list[str], settings: Training, through: str | None = None) -> TrainingWindow:
    """The newest labelled months: the last `test_months` to test, up to `training_months` before them to train."""
    months = sorted(m for m in available if through is None or m <= through)
    present = set(months)
    horizon = settings.horizon_months
    labelled = [m for m in months if all(add_months(m, k) in present for k in range(1, horizon + 1))]
    needed = settings.test_months + 1
    if len(labelled) < needed:
        raise InvalidInput(
            f"需要至少{needed + horizon}个月的运行结果，现有{len(months)}个 / "
            f"the churn model needs results of at least {needed + horizon} consecutive months "
            f"(a month is labelled once {horizon} months follow it); "
            f"the store has {len(months)}",
            field="months",
        )
    test = labelled[-settings.test_months :]
    train = labelled[: -settings.test_months][-settings.training_months :]
    return TrainingWindow(train_months=train, test_months=test, horizon=horizon)


def labelled_lines(store: AnalyticsStore, months: list[str], horizon: int, features: list[str]) -> pd.DataFrame:
    """The lines of `months` still in the network, their model features, and `left` (0/1) within `horizon`."""
    later = sorted({add_months(m, k) for m in months for k in range(1, horizon + 1)} - set(months))
    with connect(Engine.DUCKDB) as con:
        table = read_parquet(con, [store.result_path(m, "subscriber_features") for m in months], _FEATURES)
        leavers = read_parquet(
            con, [store.result_path(m, "subscriber_features") for m in sorted({*months, *later})], _FEATURES
        )
        expr = _labelled(table, leavers, horizon, features)
        frame: pd.DataFrame = con.to_pyarrow(expr).to_pandas()
    return frame


_FEATURES = schemas.SUBSCRIBER_FEATURES


def _labelled(table: ir.Table, leavers: ir.Table, horizon: int, features: list[str]) -> ir.Table:
    staying = table.filter(~table.terminated_in_month & (table.subscriber_status != "terminated"))
    left = leavers.filter(leavers.terminated_in_month).select("subscriber_id", left_index=_month_index(leavers.month))
    joined = staying.left_join(left, "subscriber_id")
    gap = joined.left_index - _month_index(joined.month)
    label = ((gap >= 1) & (gap <= horizon)).fill_null(False).cast("int8")
    return joined.select("month", "subscriber_id", "customer_code", *features, left=label).order_by(
        "month", "subscriber_id"
    )


def _month_index(month: ir.StringValue) -> ir.IntegerValue:
    """`YYYY-MM` as a count of months, so month differences are integer subtraction on both engines."""
    index: ir.IntegerValue = month.substr(0, 4).cast("int64") * 12 + month.substr(5, 2).cast("int64")
    return index


def label_array(frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.int8]]:
    """The 0/1 label column of labelled_lines."""
    labels: np.ndarray[Any, np.dtype[np.int8]] = frame["left"].to_numpy(dtype=np.int8)
    return labels
