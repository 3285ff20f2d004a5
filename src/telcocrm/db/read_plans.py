"""Read plans: a read written once as the statements it runs, run by the synchronous or the asynchronous driver.

A plan is a generator that yields each statement with its parameters and receives the statement's rows back
(rows with attribute access, like SQLAlchemy's). `run_plan` runs it on a SQLAlchemy connection, as every route
does; `telcocrm.db.async_reads` runs the same plan on asyncpg's connections for the hot reads
(telcocrm.hot_reads). Both see the same statements and the same row types, so the response cannot differ.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable

T = TypeVar("T")

ReadStep = tuple[Executable, Mapping[str, Any]]
ReadPlan = Generator[ReadStep, Sequence[Any], T]


def run_plan(conn: Connection, plan: ReadPlan[T]) -> T:
    """Run every statement of the plan on the connection, in order, and return what the plan builds."""
    try:
        statement, params = next(plan)
        while True:
            result = conn.execute(statement, dict(params))
            rows = result.all() if result.returns_rows else []
            statement, params = plan.send(rows)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
