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


def test_award_keys_are_rewritten_month_first_and_back(scratch_url: str) -> None:
    """0010: an award posted before keeps its identity under the new key (a rerun of its month writes nothing)."""
    upgrade(scratch_url, "0009")
    engine = create_engine(scratch_url)
    insert_entry = text(
        "INSERT INTO points_entry (account_id, kind, points, lot_id, month, earned_on, expires_on, rule, source,"
        " idempotency_key, recorded_at, recorded_by) VALUES (1, :kind, :points, :lot, '2026-03', '2026-03-31',"
        " '2028-12-31', 'points.credit', 'credit', :key, '2026-04-01 00:00:00', 'test')"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO points_account (id, customer_code, status, opted_in, points_sensitive, opened_at)"
                " VALUES (1, 'C0000000017', 'active', false, false, '2026-04-01 00:00:00')"
            )
        )
        keys = ["C0000000017|2026-03|points.credit|credit", "C0000000017|2026-03|points.credit|credit#1"]
        conn.execute(insert_entry, {"kind": "earn", "points": 50, "lot": None, "key": keys[0]})
        conn.execute(insert_entry, {"kind": "reversal", "points": -50, "lot": 1, "key": f"{keys[1]}/reverses:1"})
        conn.execute(insert_entry, {"kind": "earn", "points": 5, "lot": None, "key": "tmf658:C0000000017|2026-03|x"})

    def stored() -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT idempotency_key FROM points_entry ORDER BY id")).scalars())

    upgrade(scratch_url)
    assert stored() == [
        "2026-03|C0000000017|points.credit|credit",
        "2026-03|C0000000017|points.credit|credit#1/reverses:1",
        "tmf658:C0000000017|2026-03|x",  # not an award's key: kept as it was
    ]
    downgrade(scratch_url, "0009")
    assert stored() == [keys[0], f"{keys[1]}/reverses:1", "tmf658:C0000000017|2026-03|x"]
    engine.dispose()
