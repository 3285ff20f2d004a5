"""Read plans on asyncpg's connections: the hot reads on PostgreSQL, with no thread per request.

Each statement of a plan is compiled once by SQLAlchemy for its asyncpg dialect (the same SQL as `run_plan`
sends, with `$n` placeholders), its bind and result processors are that dialect's own, and its rows are named
tuples with the statement's column keys, so a plan sees the same values whichever runner runs it (tests compare
the responses byte for byte). asyncpg rather than psycopg's asynchronous connections, which the rest of the
application uses: on this path a statement's client CPU is what is left to save, and asyncpg spends about half
of psycopg's on the same prepared statement (docs/benchmarks.md § HTTP load). Each connection prepares a
statement once and keeps it.
"""

from __future__ import annotations

import asyncio
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Engine, Executable
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.compiler import SQLCompiler

from telcocrm.db.engine import libpq_dsn
from telcocrm.db.read_plans import ReadPlan

T = TypeVar("T")

# What a dropped or unusable connection raises: it is closed and not handed out again.
CONNECTION_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)


class _Statement:
    """A statement compiled once: its SQL and parameter order, and how to turn its rows into values."""

    def __init__(self, statement: Executable, dialect: PGDialect_asyncpg) -> None:
        self.statement = statement  # held, so its id cannot be reused while it is a key of the cache
        self.dialect = dialect
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        assert isinstance(compiled, SQLCompiler)
        self.compiled = compiled
        self.returns_rows = bool(statement.is_select)
        if any(bind.expanding for bind in compiled.bind_names):  # its SQL would change with the list's length
            raise ValueError(f"a hot read cannot take an IN list parameter: {compiled.string[:80]}…")
        self.sql = compiled.string
        self.bind_processors: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.bind_processors[name] = process
        self.selected = list(getattr(statement, "selected_columns", []))
        self.row_type: Any = namedtuple("Row", [c.key for c in self.selected], rename=True)  # type: ignore[misc]
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []  # set when prepared (learn_types)

    def bind(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments, through the types' bind processors."""
        values = self.compiled.construct_params(dict(params)) or {}
        return [_processed(self.bind_processors.get(name), values[name]) for name in self.compiled.positiontup or []]

    def learn_types(self, prepared: asyncpg.prepared_stmt.PreparedStatement) -> None:
        """The result processors for the columns as just prepared: asyncpg's dialect picks some by the column's
        server type (numeric…), which a migration may have changed since the statement was last prepared."""
        if not self.returns_rows:  # an insert's rows (RETURNING) are not handed to the plan
            return
        oids = [attribute.type.oid for attribute in prepared.get_attributes()]
        processors = [
            column.type.dialect_impl(self.dialect).result_processor(self.dialect, oid)
            for column, oid in zip(self.selected, oids, strict=True)
        ]
        self.processors = [(i, p) for i, p in enumerate(processors) if p is not None]

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[Any]:
        """The fetched records as rows with attribute access, each value as SQLAlchemy would hand it over."""
        if not self.processors:
            return [self.row_type._make(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for i, process in self.processors:
                values[i] = process(values[i])
            out.append(self.row_type._make(values))
        return out


def _processed(process: Callable[[Any], Any] | None, value: Any) -> Any:
    return value if process is None else process(value)


class _Connection:
    """A pooled connection and the statements it has prepared."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.prepared: dict[str, asyncpg.prepared_stmt.PreparedStatement] = {}

    async def run(self, statement: _Statement, args: list[Any]) -> list[Any]:
        try:
            fetched = await (await self._prepared(statement)).fetch(*args)
        except asyncpg.InvalidCachedStatementError:
            # A migration changed a table under the prepared statement: prepare it again, once.
            del self.prepared[statement.sql]
            fetched = await (await self._prepared(statement)).fetch(*args)
        return statement.rows(fetched) if statement.returns_rows else []

    async def _prepared(self, statement: _Statement) -> asyncpg.prepared_stmt.PreparedStatement:
        prepared = self.prepared.get(statement.sql)
        if prepared is None:
            prepared = self.prepared[statement.sql] = await self.connection.prepare(statement.sql)
            statement.learn_types(prepared)
        return prepared


class AsyncReader:
    """A pool of connections outside any transaction (each statement sees a fresh snapshot, as
    `read_session_factory`'s autocommit reads do).

    Connections are opened on first need, up to `size`, on the event loop that uses them; `on_statement`, when
    set, is told the SQL of every statement sent (tests count statements with it, as with the engine's events).
    """

    def __init__(self, engine: Engine, *, size: int) -> None:
        dialect = engine.dialect
        # The engine's JSON (de)serialisers, so documents read here are the ones the routes read.
        self._dialect = PGDialect_asyncpg(  # type: ignore[no-untyped-call]
            json_serializer=getattr(dialect, "_json_serializer", None),
            json_deserializer=getattr(dialect, "_json_deserializer", None),
        )
        self._dsn = libpq_dsn(engine)
        self._size = size
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._statements: dict[int, _Statement] = {}
        self._connections: list[_Connection] = []
        self.on_statement: Callable[[str], None] | None = None

    async def close(self) -> None:
        """Close every connection of the pool."""
        for pooled in self._connections:
            await pooled.connection.close()
        self._connections.clear()

    async def _checkout(self) -> _Connection:
        if self._idle.empty() and len(self._connections) < self._size:
            pooled = _Connection(await self._connect())
            self._connections.append(pooled)
            return pooled
        return await self._idle.get()

    async def _connect(self) -> asyncpg.Connection:
        """A connection decoding JSON as SQLAlchemy's asyncpg dialect sets its connections up to."""
        # asyncpg's own statement cache stays on: without it, `prepare` makes unnamed statements, which
        # PostgreSQL plans again on every execution (about 2 ms of its CPU for the TMF read).
        connection = await asyncpg.connect(self._dsn)
        adapted = SimpleNamespace(_connection=connection)
        await self._dialect.setup_asyncpg_json_codec(adapted)  # type: ignore[no-untyped-call]
        await self._dialect.setup_asyncpg_jsonb_codec(adapted)  # type: ignore[no-untyped-call]
        return connection

    async def run(self, plan: ReadPlan[T]) -> T:
        """Run the plan's statements on one pooled connection, in order; return what the plan builds."""
        pooled = await self._checkout()
        try:
            return await self._run(pooled, plan)
        except CONNECTION_LOST:
            # The server dropped it: closed, it is not handed out again; the next checkout opens a fresh one.
            pooled.connection.terminate()
            self._connections.remove(pooled)
            raise
        finally:
            if not pooled.connection.is_closed():
                self._idle.put_nowait(pooled)

    async def _run(self, pooled: _Connection, plan: ReadPlan[T]) -> T:
        try:
            statement, params = next(plan)
            while True:
                compiled = self._compiled(statement)
                if self.on_statement is not None:
                    self.on_statement(compiled.sql)
                statement, params = plan.send(await pooled.run(compiled, compiled.bind(params)))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _compiled(self, statement: Executable) -> _Statement:
        # Plans yield statements built once (functools.cache) with bound parameters: the object is the key.
        found = self._statements.get(id(statement))
        if found is None:
            found = self._statements[id(statement)] = _Statement(statement, self._dialect)
        return found
