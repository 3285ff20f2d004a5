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
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
