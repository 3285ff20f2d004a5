"""Read plans on psycopg's asynchronous connections: the hot reads on PostgreSQL, with no thread per request.

Each statement of a plan is compiled once for the dialect (SQLAlchemy's compiler: the same SQL `run_plan`
sends), its bind and result processors are SQLAlchemy's own, and its rows are named tuples with the statement's
column keys, so a plan sees the same values whichever runner runs it. What is skipped is SQLAlchemy's
per-execution machinery and psycopg's column descriptions, which on a slow core cost more than the statements.
"""

from __future__ import annotations

import asyncio
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Engine, Executable
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from telcocrm.db.read_plans import ReadPlan

T = TypeVar("T")


class _Statement:
    """A statement compiled once: its SQL with bound parameters, and how to turn its rows into values."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        self.statement = statement  # held, so its id cannot be reused while it is a key of the cache
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        assert isinstance(compiled, SQLCompiler)
        self.compiled = compiled
        self.returns_rows = bool(statement.is_select)
        self.bind_processors: dict[str, Callable[[Any], Any]] = {}
        self.expanding = any(bind.expanding for bind in self.compiled.bind_names)
        for bind, name in self.compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.bind_processors[name] = process
        selected = list(getattr(statement, "selected_columns", []))
        self.row_type: Any = namedtuple("Row", [c.key for c in selected], rename=True)  # type: ignore[misc]
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
        self.processors: list[tuple[int, Callable[[Any], Any]]] = [
            (i, p) for i, p in enumerate(processors) if p is not None
        ]

    def bind(self, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The SQL (IN lists expanded) and its parameters, through the types' bind processors."""
        if not self.expanding:  # the SQL is the compiled string: no expansion to work out per call
            values = dict(self.compiled.construct_params(dict(params)) or {})
            sql, processors = self.compiled.string, self.bind_processors
        else:
            state = self.compiled.construct_expanded_state(dict(params))
            values, sql = dict(state.parameters), state.statement
            processors = self.bind_processors | dict(state.processors)
        for name, process in processors.items():
            if name in values:
                values[name] = process(values[name])
        return sql, values

    def rows(self, fetched: Sequence[tuple[Any, ...]]) -> list[Any]:
        """The fetched tuples as rows with attribute access, each value as SQLAlchemy would hand it over."""
        if not self.processors:
            return [self.row_type._make(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for i, process in self.processors:
                values[i] = process(values[i])
            out.append(self.row_type._make(values))
        return out


class AsyncReader:
    """A pool of autocommit connections (reads see a fresh snapshot per statement, as `read_session_factory`).

    Connections are opened on first need, up to `size`, on the event loop that uses them; `on_statement`, when
    set, is told the SQL of every statement sent (tests count statements with it, as with the engine's events).
    """

    def __init__(self, engine: Engine, *, size: int) -> None:
        self._dialect = engine.dialect
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = size
        self._idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        self._statements: dict[int, _Statement] = {}
        self._connections: list[psycopg.AsyncConnection[Any]] = []
        self.on_statement: Callable[[str], None] | None = None

    async def close(self) -> None:
        """Close every connection of the pool."""
        for connection in self._connections:
            await connection.close()
        self._connections.clear()

    async def _checkout(self) -> psycopg.AsyncConnection[Any]:
        if self._idle.empty() and len(self._connections) < self._size:
            connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            self._connections.append(connection)
            return connection
        return await self._idle.get()

    async def run(self, plan: ReadPlan[T]) -> T:
        """Run the plan's statements on one pooled connection, in order; return what the plan builds."""
        connection = await self._checkout()
        try:
            return await self._run(connection, plan)
        except psycopg.OperationalError:
            # The server dropped it: closed, it is not handed out again; the next checkout opens a fresh one.
            await connection.close()
            self._connections.remove(connection)
            raise
        finally:
            if not connection.closed:
                self._idle.put_nowait(connection)

    async def _run(self, connection: psycopg.AsyncConnection[Any], plan: ReadPlan[T]) -> T:
        try:
            statement, params = next(plan)
            while True:
                compiled = self._compiled(statement)
                sql, values = compiled.bind(params)
                if self.on_statement is not None:
                    self.on_statement(sql)
                async with connection.cursor() as cursor:
                    await cursor.execute(sql, values)
                    fetched = await cursor.fetchall() if compiled.returns_rows else []
                statement, params = plan.send(compiled.rows(fetched))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _compiled(self, statement: Executable) -> _Statement:
        # Plans yield statements built once (functools.cache) with bound parameters: the object is the key.
        found = self._statements.get(id(statement))
        if found is None:
            found = self._statements[id(statement)] = _Statement(statement, self._dialect)
        return found
