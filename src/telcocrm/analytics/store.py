"""The analytics store: Parquet files per month under the data folder, and a DuckDB catalogue of views over them.

    analytics/
      extracts/month=YYYY-MM/{bills,usage,events,integrity,topups}.parquet   what ingest accepted
                             referrals.parquet                            (only a month whose folder had one)
      results/month=YYYY-MM/{base,subscriber_features,customer_features,credit,segments,lifecycle,
                             subscriber_results}.parquet                   the run's output and the base it used
      analytics.duckdb                                                     views for analysts (read-only use)

A month's folder is written whole in a staging folder and then swapped in by renames, so readers see the
old month or the new one, never a mix, and a job that dies leaves the previous month as it was.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from telcocrm.kit.months import parse_month

KINDS = ("extracts", "results")


class AnalyticsStore:
    """Paths of the store and the atomic replacement of a month."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls) -> AnalyticsStore:
        from telcocrm.config import get_settings

        return cls(get_settings().data_dir / "analytics")

    def month_dir(self, kind: str, month: str) -> Path:
        parse_month(month)
        if kind not in KINDS:
            raise ValueError(f"unknown store kind {kind!r}")
        return self.root / kind / f"month={month}"

    def extract_path(self, month: str, table: str) -> Path:
        return self.month_dir("extracts", month) / f"{table}.parquet"

    def result_path(self, month: str, name: str) -> Path:
        return self.month_dir("results", month) / f"{name}.parquet"

    def months(self, kind: str = "extracts") -> list[str]:
        """The months present, oldest first."""
        folder = self.root / kind
        if not folder.exists():
            return []
        return sorted(p.name.removeprefix("month=") for p in folder.glob("month=*") if p.is_dir())

    @contextmanager
    def replacing(self, kind: str, month: str) -> Iterator[Path]:
        """A staging folder to fill; on success it replaces the month's folder, on error it is removed."""
        final = self.month_dir(kind, month)
        staging = self.root / ".staging" / f"{kind}-{month}-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._swap(staging, final)

    def _swap(self, staging: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        trash = self.root / ".staging" / f"old-{uuid.uuid4().hex}"
        if final.exists():
            final.rename(trash)
        staging.rename(final)
        shutil.rmtree(trash, ignore_errors=True)
