"""Ingest of a month of billing extracts: check every table, then land them whole in the analytics store.

Five tables are required; referrals is optional (a month without its file has no referrals and no file is landed).

One pass over each file: every batch is checked and, while the month is clean so far, written in its stored
form to the month's staging folder. A month with any problem is refused whole (ImportRefused, an InvalidInput
listing (file, row, field, reason)); the staging folder is then removed and the store is left as it was. A clean
month replaces the month's folder atomically (AnalyticsStore.replacing), so ingesting it again replaces it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine

from telcocrm.analytics.catalogue import CatalogueUnavailable, refresh_catalogue
from telcocrm.analytics.schemas import EXTRACTS
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.extracts.checks import MonthContext, TableCheck
from telcocrm.extracts.contract import TABLES, Table
from telcocrm.extracts.known import known_customers, known_subscribers, line_holders
from telcocrm.extracts.reading import check_columns, locate, read_batches
from telcocrm.imports.problems import ProblemLog
from telcocrm.kit.months import parse_month


@dataclass(frozen=True)
class Source:
    """The file of one table and the contract's columns it has."""

    table: Table
    path: Path
    present: list[str]


@dataclass(frozen=True)
class IngestReport:
    """What an ingest landed, and how fast."""

    month: str
    rows: dict[str, int]  # per table
    seconds: float
    catalogue_note: str = ""  # why the catalogue could not be refreshed; '' when it was

    @property
    def subscriber_months(self) -> int:
        """Subscriber-months of the month: one bill or usage row each (prepaid lines may have no bill)."""
        return max(self.rows.get("bills", 0), self.rows.get("usage", 0))

    @property
    def subscriber_months_per_second(self) -> float:
        return self.subscriber_months / self.seconds if self.seconds > 0 else 0.0


def ingest_month(folder: Path, month: str, *, engine: Engine, store: AnalyticsStore | None = None) -> IngestReport:
    """Check the month's extracts in `folder` and land them, or refuse the month whole with ImportRefused."""
    parse_month(month)
    started = time.perf_counter()
    store = store or AnalyticsStore.from_settings()
    with store.writing(f"ingest {month}"):
        rows = _land_month(Path(folder), month, engine, store)
        note = ""
        try:
            refresh_catalogue(store)
        except CatalogueUnavailable as exc:  # the month is in; the views (globs) will see it once they exist
            note = str(exc)
    return IngestReport(month, rows, time.perf_counter() - started, note)


def _land_month(folder: Path, month: str, engine: Engine, store: AnalyticsStore) -> dict[str, int]:
    """Every table of the month checked and landed in one staging folder, swapped in only if all are clean."""
    problems = ProblemLog()
    sources = _sources(folder, problems)
    holders = partial(line_holders, engine)
    context = MonthContext(month, known_subscribers(engine), known_customers(engine), holders=holders)
    with store.replacing("extracts", month) as staging:
        rows = {name: _land(sources.get(name), context, problems, staging) for name in TABLES}
        if problems:
            raise problems.refusal()  # the staging folder goes with it: nothing is written
    return rows


def _sources(folder: Path, problems: ProblemLog) -> dict[str, Source]:
    """The files of the tables whose columns are right; the others are reported and their rows not read."""
    if not folder.is_dir():
        problems.add(0, "", f"文件夹不存在 / no such folder: {folder}")
        return {}
    sources = {}
    for name, table in TABLES.items():
        path = locate(folder, table, problems)
        if path is None:
            continue
        problems.file = path.name
        present = check_columns(path, table, problems)
        if present is not None:
            sources[name] = Source(table, path, present)
    return sources


def _land(source: Source | None, context: MonthContext, problems: ProblemLog, staging: Path) -> int:
    """Check one table batch by batch, writing its stored form while the month is still clean; its row count."""
    if source is None:
        return 0
    problems.file = source.path.name
    name = source.table.name
    check = TableCheck(source.table, context, problems)
    rows = 0
    with pq.ParquetWriter(staging / f"{name}.parquet", EXTRACTS[name]) as writer:
        for batch in read_batches(source.path, source.present, problems):
            stored = check.batch(batch)
            if not problems:  # once the month is refused, writing is wasted
                writer.write_batch(stored)
            rows += len(batch)
    check.finish()
    return rows
