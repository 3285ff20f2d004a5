"""Fixtures of the ingest tests: a data folder of the test's own, a database holding examples/customers.csv, and a
copy of examples/2026-10 to break one file at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from telcocrm.analytics.store import WRITER_LOCK, AnalyticsStore
from telcocrm.imports import import_customers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MONTH = "2026-10"


@pytest.fixture
def known(clean_engine: Engine) -> Engine:
    """The test database holding the example customers and their subscribers."""
    import_customers(EXAMPLES / "customers.csv", engine=clean_engine, actor="tester")
    return clean_engine


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the example month, free to change."""
    return Path(shutil.copytree(EXAMPLES / MONTH, tmp_path / MONTH))


def files(store: AnalyticsStore) -> list[str]:
    """Every file of data under the store (not the writers' lock): what a refused month must leave as it was."""
    if not store.root.exists():
        return []
    found = (p for p in store.root.rglob("*") if p.is_file() and p.name != WRITER_LOCK)
    return sorted(str(p.relative_to(store.root)) for p in found)
