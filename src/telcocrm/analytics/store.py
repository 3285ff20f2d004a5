"""The analytics store: Parquet files per month under the data folder, and a DuckDB catalogue of views over them.

    analytics/
      extracts/month=YYYY-MM/{bills,usage,events,integrity,topups}.parquet   what ingest accepted
                             referrals.parquet                            (only a month whose folder had one)
      results/month=YYYY-MM/{base,subscriber_features,customer_features,credit,segments,lifecycle,
                             subscriber_results}.parquet                   the run's output and the base it used
      analytics.duckdb                                                     views for analysts (read-only use)
      .writer.lock                                                         the job writing the store, if any

A month's folder is written whole in a staging folder and then swapped in by renames, so readers see the
old month or the new one, never a mix, and a job that dies leaves the previous month as it was.

The jobs that write the store (ingest, the monthly run) hold it one at a time (`AnalyticsStore.writing`): a run
reads its month's extracts step after step, and an ingest of that month swapping them in mid-run would give it
two versions of one month; two runs would each clear the other's work in the operational database.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from telcocrm.errors import Conflict
from telcocrm.kit.months import parse_month
from telcocrm.kit.timefmt import local_iso

KINDS = ("extracts", "results")
WRITER_LOCK = ".writer.lock"  # under the store's root; says which job holds the store


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
    def writing(self, job: str) -> Iterator[None]:
        """Hold the store for `job` (e.g. "run-month 2026-10"); Conflict naming the job that holds it already.

        An advisory `flock` on a file of the store: the kernel releases it when its holder exits, however it
        exits, so a job that was killed never leaves the store held.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / WRITER_LOCK, "a+", encoding="utf-8") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Conflict(_held_by(lock, job), field="store") from None
            lock.truncate(0)
            holder = {"job": job, "pid": os.getpid(), "since": local_iso(datetime.now(UTC))}
            lock.write(json.dumps(holder, ensure_ascii=False))
            lock.flush()
            try:
                yield
            finally:
                lock.truncate(0)
                fcntl.flock(lock, fcntl.LOCK_UN)

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


def _held_by(lock: IO[str], job: str) -> str:
    """The refusal of `job`, naming the job that holds the store (as it wrote itself into the lock file)."""
    lock.seek(0)
    try:
        holder = json.loads(lock.read() or "{}")
    except json.JSONDecodeError:
        holder = {}
    who = f"{holder.get('job', '?')} (pid {holder.get('pid', '?')}, since {holder.get('since', '?')})"
    return (
        f"分析库正被另一作业使用：{who}，请待其结束后再执行 {job}"
        f" / the analytics store is in use by {who}; run {job} when it ends"
    )
