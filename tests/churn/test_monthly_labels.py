"""Labelling the run's own months for the churn model: who left within the horizon, and which months may be used."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn.monthly_config import Training
from telcocrm.churn.monthly_training import labelled_lines, training_window
from telcocrm.errors import InvalidInput

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def write_month(store: AnalyticsStore, month: str, lines: dict[str, bool]) -> None:
    """The month's features: each line with whether it was terminated in the month (other features null)."""
    rows = [
        {"month": month, "subscriber_id": line, "customer_code": "C" + line, "terminated_in_month": left,
         "subscriber_status": "terminated" if left else "active", "tenure_months": 12}
        for line, left in lines.items()
    ]  # fmt: skip
    path = store.result_path(month, "subscriber_features")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schemas.SUBSCRIBER_FEATURES), path)


@pytest.fixture
def store(tmp_path: Path) -> AnalyticsStore:
    """L1 leaves in 2026-03, L2 in 2026-06, L3 stays; L4 joins in 2026-02 and leaves in 2026-05."""
    store = AnalyticsStore(tmp_path)
    leaves = {"L1": "2026-03", "L2": "2026-06", "L4": "2026-05"}
    for month in MONTHS:
        lines = {"L1": False, "L2": False, "L3": False} | ({"L4": False} if month >= "2026-02" else {})
        lines = {line: leaves.get(line) == month for line in lines if leaves.get(line, "9999") >= month}
        write_month(store, month, lines)
    return store


def test_a_line_is_labelled_left_only_when_it_leaves_within_the_horizon(store: AnalyticsStore) -> None:
    frame = labelled_lines(store, ["2026-01", "2026-02"], 3, ["tenure_months"])
    label = {(r.month, r.subscriber_id): r.left for r in frame.itertuples()}
    assert label[("2026-01", "L1")] == 1  # leaves two months later
    assert label[("2026-01", "L2")] == 0  # five months later: beyond the horizon
    assert label[("2026-02", "L2")] == 0  # four months later
    assert label[("2026-02", "L4")] == 1  # three months later: the horizon's last month counts
    assert label[("2026-01", "L3")] == 0
    assert ("2026-01", "L4") not in label, "a line not yet in the network is not a line of the month"


def test_a_line_that_left_in_the_month_is_not_scored_for_that_month(store: AnalyticsStore) -> None:
    frame = labelled_lines(store, ["2026-03"], 3, ["tenure_months"])
    assert "L1" not in set(frame["subscriber_id"]), "L1 left in 2026-03: nothing left to predict"
    assert set(frame["subscriber_id"]) == {"L2", "L3", "L4"}


def test_only_months_with_the_whole_horizon_after_them_are_labelled_and_the_newest_are_held_out() -> None:
    window = training_window(MONTHS, Training(horizon_months=3, training_months=9, test_months=1))
    assert window.test_months == ["2026-03"]  # 2026-04 lacks 2026-07
    assert window.train_months == ["2026-01", "2026-02"]
    narrow = training_window(MONTHS, Training(horizon_months=1, training_months=2, test_months=2))
    assert narrow.test_months == ["2026-04", "2026-05"] and narrow.train_months == ["2026-02", "2026-03"]


def test_too_few_months_are_refused_with_how_many_are_needed() -> None:
    with pytest.raises(InvalidInput) as refused:
        training_window(MONTHS[:4], Training(horizon_months=3, test_months=1))
    assert "at least 5" in str(refused.value)
