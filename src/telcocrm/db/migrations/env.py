"""Alembic environment: runs migrations online against the configured URL (batch mode for SQLite)."""

from __future__ import annotations

from alembic import context

import telcocrm.models  # noqa: F401 - registers every table on the metadata
from telcocrm.db.base import Base
from telcocrm.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations in one transaction on a fresh connection."""
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url, pooled=False)  # no connection kept after the migration
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the old one. With keys enforced, dropping a table whose
            # rows refer to one another (a reversal to its lot) fails: keys are checked once, at the end.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"foreign keys broken by the migration (table, rowid, parent, key): {broken[:5]}")


run_migrations_online()
