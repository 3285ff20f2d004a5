"""What a reference run reads and writes: the month's Parquet inputs, its dates and windows, the output files.

The references read exactly what the Ibis run reads (telcocrm.analytics.sources.load_month_inputs): the extracts of
the 12 months ending with the run month, the base snapshot the run took (results/month=M/base.parquet) and the
previous month's credit results when that month was run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.kit.months import add_months, month_end, month_start, window

# The tables both references produce, in the order they are built, with their contract schemas and keys.
TABLES: dict[str, pa.Schema] = {
    "subscriber_features": schemas.SUBSCRIBER_FEATURES,
    "customer_features": schemas.CUSTOMER_FEATURES,
    "credit": schemas.CREDIT,
    "lifecycle": schemas.LIFECYCLE,
}
KEYS = {
    "subscriber_features": "subscriber_id",
    "customer_features": "customer_code",
    "credit": "customer_code",
    "lifecycle": "subscriber_id",
}


@dataclass(frozen=True)
class MonthFiles:
    """The Parquet files of one month's run and the dates and windows its rules use."""

    month: str
    extracts: dict[str, list[Path]]  # table name → the existing files of the 12-month window
    base: Path
    previous_credit: Path | None

    @classmethod
    def of(cls, store: AnalyticsStore, month: str, results: Path | None = None) -> MonthFiles:
        """The files of `month` in the store; the base snapshot from `results` (default: the month's results)."""
        results = results or store.month_dir("results", month)
        extracts = {
            name: [p for m in window(month, 12) if (p := store.extract_path(m, name)).exists()]
            for name in schemas.EXTRACTS
        }
        previous = store.result_path(add_months(month, -1), "credit")
        return cls(month, extracts, results / "base.parquet", previous if previous.exists() else None)

    @property
    def first_day(self) -> date:
        return month_start(self.month)

    @property
    def last_day(self) -> date:
        return month_end(self.month)

    @property
    def last_month(self) -> str:
        return add_months(self.month, -1)

    def months(self, length: int, *, ending: str | None = None) -> list[str]:
        """The `length` months ending with `ending` (default: the run month), oldest first."""
        return window(ending or self.month, length)

    def window_start(self, length: int) -> date:
        """First day of the `length`-month window ending with the run month."""
        return month_start(add_months(self.month, 1 - length))


def read_outputs(paths: dict[str, Path]) -> dict[str, pa.Table]:
    """The written output files as Arrow tables in their contract schemas."""
    return {name: pq.read_table(path, schema=TABLES[name]) for name, path in paths.items()}
