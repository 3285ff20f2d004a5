"""The DuckDB catalogue of the analytics store: `analytics.duckdb` with one view per extract over every month.

Analysts open it (read-only) and query `bills`, `usage`, … across all ingested months. The views read the
Parquet files by a glob, so a month ingested later shows up without any change; refreshing only (re)creates the
views. The file is opened for a moment and closed again, so no lock is held between ingests.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from telcocrm.analytics.schemas import EXTRACTS
from telcocrm.analytics.store import AnalyticsStore

CATALOGUE_FILE = "analytics.duckdb"


class CatalogueUnavailable(Exception):
    """The catalogue file could not be opened or written (another process holds it open for writing)."""


def catalogue_path(store: AnalyticsStore) -> Path:
    return store.root / CATALOGUE_FILE


def refresh_catalogue(store: AnalyticsStore) -> Path:
    """Create or replace the view of every extract table that some month holds; drop the others."""
    path = catalogue_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _create_views(store, path)
    except duckdb.Error as exc:
        raise CatalogueUnavailable(f"{path}: {exc}") from exc
    return path


def _create_views(store: AnalyticsStore, path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        for table in EXTRACTS:
            files = store.root.resolve() / "extracts" / "month=*" / f"{table}.parquet"
            if any(store.extract_path(month, table).exists() for month in store.months("extracts")):
                con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {_read(files)}")
            else:  # a view over no file at all fails on every query
                con.execute(f"DROP VIEW IF EXISTS {table}")
    finally:
        con.close()


def _read(files: Path) -> str:
    pattern = files.as_posix().replace("'", "''")
    return f"read_parquet('{pattern}', hive_partitioning = false)"
