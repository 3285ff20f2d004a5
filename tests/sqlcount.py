"""Counting the SQL statements a request runs, so N+1 queries cannot creep in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "RELEASE", "SAVEPOINT")


@contextmanager
def counted_statements(engine: Engine, app: Any = None) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block, and the app's hot reads (PostgreSQL) if given."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    reader = getattr(app.state, "async_reader", None) if app is not None else None
    event.listen(engine, "before_cursor_execute", count)
    if reader is not None:
        reader.on_statement = statements.append
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
        if reader is not None:
            reader.on_statement = None


def queries(statements: list[str]) -> list[str]:
    """The statements that read or write data (transaction control left out)."""
    return [s for s in statements if not s.lstrip().upper().startswith(TRANSACTION_CONTROL)]
