"""Migrations: upgrade → downgrade → upgrade on a database of their own (SQLite, or PostgreSQL in that run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from telcocrm.db.base import Base
from telcocrm.db.migrate import downgrade, upgrade


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database used by nothing else, so dropping every table harms no other test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(database_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS telcocrm_migrations"))
        conn.execute(text("CREATE DATABASE telcocrm_migrations"))
    yield url.set(database="telcocrm_migrations").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS telcocrm_migrations WITH (FORCE)"))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    upgrade(scratch_url)
    assert tables(scratch_url) == set(Base.metadata.tables)
    downgrade(scratch_url, "base")
    assert tables(scratch_url) == set()
    upgrade(scratch_url)
    assert tables(scratch_url) == set(Base.metadata.tables)


def test_code_counters_are_seeded(scratch_url: str) -> None:
    upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM code_counter")).scalars())
    engine.dispose()
    assert names == {"customer", "account", "subscriber"}
