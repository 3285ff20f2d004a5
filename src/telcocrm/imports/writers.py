"""Bulk inserts of Arrow tables, one small code path per backend: executemany on SQLite, COPY on PostgreSQL.

Tables arrive ready for the database — ids, enums, dates, timestamps and JSON as text, integers, booleans —
so that no per-value type processing runs in Python: on a million rows it would cost more than the insert.
Ids are reserved up front, one statement per table, and written explicitly: nothing is read back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from functools import lru_cache, partial
from itertools import repeat
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import NullType

from telcocrm.imports.arrowbytes import contains_any, value_bytes
from telcocrm.imports.copybinary import column_types, copy_binary, encodable

INSERT_BATCH_ROWS = 16_384  # rows per executemany outside PostgreSQL
SQLITE_CACHE_SIZE = -262_144  # 256 MiB (negative: KiB)
QUEUE_DEPTH = 3  # jobs waiting for the background writer: enough to keep the database busy, bounding memory
RESERVE_LOCK_TIMEOUT = "60s"
REBUILD_MEMORY = "256MB"  # maintenance_work_mem and work_mem while keys are rebuilt: sorts and joins in memory
# Characters COPY's text format escapes with a backslash (the backslash itself first).
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_COPY_SPECIAL_BYTES = tuple(special.encode() for special, _ in _COPY_ESCAPES)


class BulkWriter(Protocol):
    """Inserts many rows of one table at once, inside the caller's transaction."""

    def timestamp(self, moment: datetime) -> str:
        """An aware moment as text this backend stores faithfully."""
        ...

    def reserve_ids(self, counts: Mapping[str, int]) -> dict[str, int]:
        """For each table, the first of `count` consecutive ids nobody else will use."""
        ...

    def release_ids(self, unused: Mapping[str, tuple[int, int, int]]) -> None:
        """Give back the end of reservations (table: first id, reserved, used) if nobody took an id since."""
        ...

    def insert(self, table: Table, data: pa.Table, constants: Mapping[str, Any] | None = None) -> None:
        """Insert rows (ids included); `constants` are columns with one value on every row."""
        ...

    def flush(self) -> None:
        """Wait until every row handed to `insert` is in the database; raise what went wrong."""
        ...

    def loading(self, tables: list[Table], *, empty: bool) -> AbstractContextManager[None]:
        """The span of the whole load; on empty tables a backend may rebuild indexes once at its end."""
        ...

    def rows_complete(self, tables: list[Table]) -> None:
        """Inside `loading`: every row of these tables has been given; a backend may build their indexes now."""
        ...

    @property
    def keys_checked_at_end(self) -> bool:
        """Whether foreign keys are checked only at the end of the load (inside `loading`), so a row may point
        at one written later."""
        ...


def _integrity_error(statement: str, exc: Exception) -> IntegrityError:
    """What an INSERT through SQLAlchemy would have raised, so callers handle one error."""
    return IntegrityError(statement, None, exc)


@lru_cache(maxsize=32)
def _untyped(table: Table) -> Table:
    """The table with type-less columns (integers kept), so values reach the driver untouched."""
    columns = [
        Column(c.name, Integer if isinstance(c.type, Integer) else NullType(), primary_key=c.primary_key)
        for c in table.columns
    ]
    return Table(table.name, MetaData(), *columns)


class CoreWriter:
    """One DBAPI executemany per table and chunk, in the caller's transaction (SQLite and any other backend).

    On SQLite foreign keys are deferred to the commit, so rows may point at rows written later in the load.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.background = _Background()

    @property
    def keys_checked_at_end(self) -> bool:
        """True on SQLite (defer_foreign_keys during the load)."""
        return self.sqlite

    def timestamp(self, moment: datetime) -> str:
        """SQLite: the naive UTC text SQLAlchemy's DateTime writes there; elsewhere ISO 8601 with the offset."""
        utc = moment.astimezone(UTC)
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else utc.isoformat(sep=" ")

    def reserve_ids(self, counts: Mapping[str, int]) -> dict[str, int]:
        """The ids after each table's highest, under the write lock `loading` took, so nobody else takes them."""
        highest = "SELECT coalesce(max(id), 0) FROM {}"
        return {name: int(self.conn.exec_driver_sql(highest.format(name)).scalar_one()) + 1 for name in counts}

    def release_ids(self, unused: Mapping[str, tuple[int, int, int]]) -> None:
        """Nothing to give back: the next id is always the highest plus one."""

    def insert(self, table: Table, data: pa.Table, constants: Mapping[str, Any] | None = None) -> None:
        """Insert rows: executemany on the driver's cursor, past SQLAlchemy's per-row parameter handling.

        A batch of rows at a time: their Python values cost several times the Arrow ones in memory.
        """
        constants = constants or {}
        names = [*data.column_names, *constants]
        compiled = insert(_untyped(table)).compile(dialect=self.conn.dialect, column_keys=names)
        for start in range(0, data.num_rows, INSERT_BATCH_ROWS):
            self._insert_batch(compiled, data.slice(start, INSERT_BATCH_ROWS), constants)

    def _insert_batch(self, compiled: Any, data: pa.Table, constants: Mapping[str, Any]) -> None:
        columns: dict[str, Iterable[Any]] = {name: data.column(name).to_pylist() for name in data.column_names}
        columns |= {name: repeat(value, data.num_rows) for name, value in constants.items()}
        if compiled.positional:
            order = list(compiled.positiontup or [])
            rows = list(zip(*(columns[name] for name in order), strict=False))  # constants repeat without end
            if self.sqlite:
                self.background.send(
                    partial(_executemany, self.conn.connection.driver_connection, compiled.string, rows)
                )
            else:
                self.conn.exec_driver_sql(compiled.string, rows)
        else:
            keys = list(columns)
            rows_by_name = [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=False)]
            self.conn.exec_driver_sql(compiled.string, rows_by_name)

    def flush(self) -> None:
        """Wait for the inserts given so far; the main thread may use the connection again."""
        self.background.flush()

    def rows_complete(self, tables: list[Table]) -> None:
        """Nothing early on SQLite: its indexes are built at the end of the load (_sqlite_indexes_built_at_end)."""

    @contextmanager
    def loading(self, tables: list[Table], *, empty: bool) -> Iterator[None]:
        """SQLite: inserts in the background, foreign keys checked at commit, a larger page cache, and on empty
        tables indexes built at the end."""
        if not self.sqlite:
            yield
            return
        with _sqlite_load(self.conn, [t.name for t in tables], empty=empty), self.background.during():
            yield


def _executemany(raw: Any, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """One executemany on the sqlite3 connection (from the background writer's thread)."""
    import sqlite3

    cursor = raw.cursor()
    try:
        cursor.executemany(statement, rows)
    except sqlite3.IntegrityError as exc:
        raise _integrity_error(statement, exc) from exc
    finally:
        cursor.close()


@contextmanager
def _sqlite_load(conn: Connection, tables: list[str], *, empty: bool) -> Iterator[None]:
    raw = conn.connection.driver_connection
    if raw is not None and not raw.in_transaction:
        # The write lock now, not at the first insert: the ids after the highest stay ours, and the pragma and
        # index changes below belong to this transaction (Python's sqlite3 would run them outside one).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    with larger_sqlite_cache(conn), _sqlite_indexes_built_at_end(conn, tables) if empty else nullcontext():
        yield


@contextmanager
def larger_sqlite_cache(conn: Connection) -> Iterator[None]:
    """SQLite's page cache at 256 MiB for the block, then back to what it was.

    Indexes of million-row tables do not fit SQLite's default 2 MiB cache: every insert would read pages back.
    Shrinking the cache empties it, so a load in many transactions keeps one block around all of them.
    """
    previous = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_CACHE_SIZE}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {previous}")


@contextmanager
def _sqlite_indexes_built_at_end(conn: Connection, tables: list[str]) -> Iterator[None]:
    """Drop the tables' own CREATE INDEX indexes, run the block, create them again (measured: half the load time).

    One sorted build beats a million random inserts into each index; a duplicate fails the unique index's
    build and rolls the whole transaction back. Keys declared inside CREATE TABLE stay (SQLite cannot drop them).
    """
    marks = ", ".join("?" * len(tables))
    indexes = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tuple(tables),
    ).all()
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        conn.exec_driver_sql(definition)


class PostgresCopyWriter:
    """PostgreSQL COPY … FROM STDIN, built column-wise by Arrow, sent by a thread of its own.

    COPY joins the same transaction as everything else. While the background writer streams one payload and the
    server parses it, the main thread reads and encodes the next chunk. With `binary`, tables whose column types
    copybinary.py encodes go in the binary format (the server parses no dates or numbers), the others in text.
    """

    def __init__(self, conn: Connection, *, binary: bool = False) -> None:
        import psycopg  # only here: psycopg is the optional `postgres` extra

        self.conn = conn
        self.raw = conn.connection.driver_connection
        self.integrity_error: type[Exception] = psycopg.IntegrityError
        self.background = _Background()
        self.keys_dropped = False
        self.binary = binary
        self.types: dict[str, dict[str, str]] = {}  # per table: column types (binary format only)
        self.frozen: set[str] = set()  # tables this load emptied with TRUNCATE: their COPYs write frozen rows
        self.rebuild: KeyRebuild | None = None  # a first load's keys and indexes, dropped until its rows are in

    @property
    def keys_checked_at_end(self) -> bool:
        """True on a first load, where foreign keys are dropped and re-created (so re-checked) at the end."""
        return self.keys_dropped

    def timestamp(self, moment: datetime) -> str:
        """ISO 8601 with the offset."""
        return moment.astimezone(UTC).isoformat(sep=" ")

    def reserve_ids(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Move each table's id sequence past `count` ids at once (setval), under a lock on the tables.

        Usually in a short transaction of its own: the lock keeps inserts by others (which take their ids from
        the same sequences) out for the few milliseconds this takes, not for the whole import. A first load
        already holds the tables through its DDL and reserves in its own transaction. Either way an aborted
        import just leaves a gap, as nextval would.
        """
        wanted = {name: count for name, count in counts.items() if count > 0}
        firsts = dict.fromkeys(counts, 1)
        if not wanted:
            return firsts
        moves = ", ".join(
            f"setval(pg_get_serial_sequence(:t{i}, 'id'), nextval(pg_get_serial_sequence(:t{i}, 'id')) + :n{i} - 1)"
            for i in range(len(wanted))
        )
        params: dict[str, Any] = {}
        for i, (name, count) in enumerate(wanted.items()):
            params |= {f"t{i}": name, f"n{i}": count}
        if self.keys_dropped:
            # A first load already holds these tables exclusively (its DDL): nobody can insert meanwhile, and
            # a second connection would wait for this transaction forever.
            lasts = self.conn.execute(text(f"SELECT {moves}"), params).one()
        else:
            with self.conn.engine.connect() as other, other.begin():
                other.exec_driver_sql(f"SET LOCAL lock_timeout = '{RESERVE_LOCK_TIMEOUT}'")
                other.exec_driver_sql(f"LOCK TABLE {', '.join(wanted)} IN SHARE ROW EXCLUSIVE MODE")
                lasts = other.execute(text(f"SELECT {moves}"), params).one()
        firsts |= {name: int(last) - count + 1 for (name, count), last in zip(wanted.items(), lasts, strict=True)}
        return firsts

    def release_ids(self, unused: Mapping[str, tuple[int, int, int]]) -> None:
        """Move sequences back to just past the ids used, where the sequence still ends at this reservation."""
        self.flush()
        for name, (first, reserved, used) in unused.items():
            sequence = self.conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}).scalar_one()
            last = self.conn.exec_driver_sql(f"SELECT last_value FROM {sequence}").scalar_one()
            if last == first + reserved - 1:
                self.conn.execute(text("SELECT setval(:s, :next, false)"), {"s": sequence, "next": first + used})

    def insert(self, table: Table, data: pa.Table, constants: Mapping[str, Any] | None = None) -> None:
        """Hand rows to the background writer (inside `loading`), or COPY them now."""
        if not data.num_rows:
            return
        constants = constants or {}
        names = [*data.column_names, *constants]
        options = ["FREEZE"] if table.name in self.frozen else []
        statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        types = self._types(table.name) if self.binary else {}
        if types and encodable(types, names):
            # Encoded on the background writer's thread: Arrow releases the GIL, so the encoding of one chunk
            # runs beside the checks of the next instead of after them.
            options.append("FORMAT binary")
            payload = partial(copy_binary, data, dict(constants), types)
        else:
            payload = partial(list, [copy_text(data, constants)])
        if options:
            statement = f"{statement} ({', '.join(options)})"
        self.background.send(partial(_copy, self.raw, statement, payload, self.integrity_error))

    def _types(self, table: str) -> dict[str, str]:
        """The table's column types, read once (before the background writer takes the connection)."""
        if table not in self.types:
            self.background.flush()
            self.types[table] = column_types(self.conn, table)
        return self.types[table]

    def flush(self) -> None:
        """Wait for the COPYs given so far; the main thread may use the connection again."""
        self.background.flush()

    def rows_complete(self, tables: list[Table]) -> None:
        """On a first load, build these tables' keys and indexes now, in the background (KeyRebuild.build)."""
        if self.rebuild is not None:
            self.background.send(partial(self.rebuild.build, [t.name for t in tables]))

    @contextmanager
    def loading(self, tables: list[Table], *, empty: bool) -> Iterator[None]:
        """COPYs sent in the background; on empty tables, keys and indexes dropped now and rebuilt at the end."""
        rebuild = rebuilt_at_end(self.conn, [t.name for t in tables]) if empty else nullcontext()
        for table in tables if self.binary else []:
            self._types(table.name)  # now, while the connection is free
        with rebuild as self.rebuild, self.background.during():
            if empty:
                self.frozen = truncated_if_empty(self.conn, [t.name for t in tables])
            self.keys_dropped = empty
            try:
                yield
            finally:
                self.keys_dropped = False
                self.frozen = set()
                self.rebuild = None


def truncated_if_empty(conn: Connection, tables: list[str]) -> set[str]:
    """TRUNCATE those of the tables that hold no row, so that this transaction's COPYs may write FREEZE.

    COPY FREEZE is allowed only into a table created or truncated in the same transaction. Its rows are written
    frozen and their pages marked all-visible: PostgreSQL then checks no row's visibility while it builds the
    keys and indexes and validates the foreign keys at the end of the load, and nothing rewrites the pages
    later to set hint bits (at 1M: 51.5 and 54.1 s instead of 59.1 and 56.1, docs/benchmarks.md § Customer import).
    Truncating an empty table loses nothing, and it rolls back with the transaction. Only tables locked by
    the load's DDL are passed here (rebuilt_at_end), so none can gain a row between the check and the TRUNCATE.
    """
    empty = {t for t in tables if conn.exec_driver_sql(f"SELECT NOT EXISTS (SELECT FROM {t})").scalar_one()}
    if empty:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(sorted(empty))}")
    return empty


def _copy(
    raw: Any, statement: str, payload: Callable[[], list[memoryview | bytes]], integrity_error: type[Exception]
) -> None:
    parts = payload()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for part in parts:
                copy.write(part)
    except integrity_error as exc:
        # COPY bypasses SQLAlchemy: raise what an INSERT would have raised, so callers handle one error.
        raise _integrity_error(statement, exc) from exc


class BackgroundWriter:
    """Runs write jobs one after another on a thread of its own, in the order given.

    The drivers release the GIL while the database works (psycopg while PostgreSQL takes a COPY, sqlite3 while
    SQLite executes each row), so the main thread checks and encodes the next chunk meanwhile. The main thread
    must not use the connection until `drain` returns. The first error stops every later job (the transaction
    is lost anyway) and is raised in the main thread.
    """

    def __init__(self) -> None:
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.error: BaseException | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name="telcocrm-import-writer", daemon=True)
        self.thread.start()

    def send(self, job: Callable[[], None]) -> None:
        """Queue a job (blocks while the queue is full)."""
        self._raise()
        self.jobs.put(job)

    def drain(self) -> None:
        """Wait until every queued job has run; raise the first error."""
        self.jobs.join()
        self._raise()

    def close(self) -> None:
        """Drain, then end the thread."""
        self.drain()
        self.stop()

    def stop(self) -> None:
        """End the thread, skipping what is still queued (after an error elsewhere); safe to call twice."""
        if self.thread.is_alive():
            self.stopped = True
            self.jobs.put(None)
            self.thread.join()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                if self.error is None and not self.stopped:
                    job()
            except BaseException as exc:  # handed to the main thread
                self.error = exc
            finally:
                self.jobs.task_done()
        self.jobs.task_done()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


class _Background:
    """The background writer of a load: started with the first write, drained before the connection is used."""

    def __init__(self) -> None:
        self.writer: BackgroundWriter | None = None
        self.active = False  # inside `loading`

    def send(self, job: Callable[[], None]) -> None:
        """Run a job on the background thread (inside a load) or now."""
        if not self.active:
            job()
            return
        if self.writer is None:
            self.writer = BackgroundWriter()
        self.writer.send(job)

    def flush(self) -> None:
        """Wait for every job given so far."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    @contextmanager
    def during(self) -> Iterator[None]:
        """Jobs go to the thread within the block; it is drained at its end, stopped after an error."""
        self.active = True
        try:
            yield
            self.flush()
        finally:
            if self.writer is not None:
                self.writer.stop()
            self.writer, self.active = None, False


def copy_text(data: pa.Table, constants: Mapping[str, Any] | None = None) -> memoryview:
    """The rows in COPY's text format (tab-separated, \\N for NULL, backslash escapes), built by Arrow.

    Constants are encoded once and repeated by the join, not materialised as columns.
    """
    fields: list[pa.Array | str] = [_copy_field(column.combine_chunks()) for column in data.columns]
    fields += [_copy_constant(value) for value in (constants or {}).values()]
    last = fields[-1]
    if isinstance(last, str):
        fields[-1] = last + "\n"
    else:
        fields[-1] = pc.binary_join_element_wise(last, "\n", "", null_handling="replace", null_replacement="\\N")
    lines = pc.binary_join_element_wise(*fields, "\t", null_handling="replace", null_replacement="\\N")
    return value_bytes(lines)


def _copy_field(values: pa.Array) -> pa.Array:
    """A column as COPY text: integers and dates as digits, booleans as t/f, text escaped."""
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "t", "f")
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    if pa.types.is_string(values.type):
        if contains_any(values, _COPY_SPECIAL_BYTES):
            for special, escaped in _COPY_ESCAPES:
                values = pc.replace_substring(values, special, escaped)
        return values
    return values.cast(pa.string())


def _copy_constant(value: Any) -> str:
    """One value as COPY text."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text_value = str(value)
    for special, escaped in _COPY_ESCAPES:
        text_value = text_value.replace(special, escaped)
    return text_value


class KeyRebuild:
    """The keys and indexes of tables loaded empty: dropped before the load, built again once their rows are in.

    Maintaining a dozen indexes and checking foreign keys row by row made PostgreSQL the slowest part of an
    import; building each index once and checking each key with one join at the end verifies the same: a
    duplicate or a dangling reference fails the rebuild and with it the whole transaction. Only for a first
    load: the DDL locks the tables until commit, and it all rolls back with the transaction. Definitions come
    from the catalogue, so the schema returns exactly as migrated. Foreign keys of other tables pointing at
    these tables go too, as the keys they point at are dropped.

    `build` may be called early for the tables whose rows are all written: their keys are then built while the
    importer still checks what spans the file (an idle core at that point), and the rest at the end.
    """

    def __init__(self, conn: Connection, tables: list[str]) -> None:
        self.conn = conn
        found = conn.execute(
            text(
                "SELECT conrelid::regclass::text, confrelid::regclass::text, conname, pg_get_constraintdef(oid),"
                " contype = 'f' FROM pg_constraint WHERE (contype IN ('p', 'u') AND conrelid::regclass::text ="
                " ANY(:tables)) OR (contype = 'f' AND (conrelid::regclass::text = ANY(:tables)"
                " OR confrelid::regclass::text = ANY(:tables))) ORDER BY conname"
            ),
            {"tables": tables},
        ).all()
        indexes = conn.execute(
            text(
                "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
                " FROM pg_index i WHERE i.indrelid::regclass::text = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM"
                " pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u')) ORDER BY 2"
            ),
            {"tables": tables},
        ).all()
        # (loaded tables it involves, statement that drops it, statement that builds it), in the order they are built.
        self.foreign = [
            ({table, target} & set(tables), f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
             f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for table, target, name, definition, is_foreign in found if is_foreign
        ]  # fmt: skip
        self.keys = [
            ({table}, f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
             f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for table, _, name, definition, is_foreign in found if not is_foreign
        ]  # fmt: skip
        self.indexes = [({table}, f"DROP INDEX {name}", definition) for table, name, definition in indexes]
        self.built: set[str] = set()  # the build statements already run

    def drop(self) -> None:
        """Drop them all: foreign keys first, as they depend on the primary and unique keys."""
        for _, drop, _ in self.foreign + self.keys + self.indexes:
            self.conn.exec_driver_sql(drop)

    def build(self, complete: Iterable[str]) -> None:
        """Build what involves only complete tables (all their rows written): keys, indexes, then foreign keys."""
        complete = set(complete)
        if not self.built:
            self.conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'")
            self.conn.exec_driver_sql(f"SET LOCAL work_mem = '{REBUILD_MEMORY}'")  # the join checking each key
        for involved, _, statement in self.keys + self.indexes + self.foreign:
            if involved <= complete and statement not in self.built:
                self.conn.exec_driver_sql(statement)
                self.built.add(statement)


@contextmanager
def rebuilt_at_end(conn: Connection, tables: list[str]) -> Iterator[KeyRebuild]:
    """Drop the tables' keys and indexes (KeyRebuild), run the block, build whatever is left at its end."""
    rebuild = KeyRebuild(conn, tables)
    rebuild.drop()
    yield rebuild
    rebuild.build(tables)


def writer_for(conn: Connection, *, binary: bool = False) -> BulkWriter:
    """COPY on PostgreSQL with psycopg 3 (`binary`: in the binary format where it can), Core inserts elsewhere."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return PostgresCopyWriter(conn, binary=binary)
    return CoreWriter(conn)
