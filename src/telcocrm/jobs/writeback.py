"""The write-back: a month's credit ratings, segments and lifecycle stages into the operational database's histories.

Every row carries the run that wrote it, and `assessment_run` names the run each month shows (AssessmentRun):
readers see the previous run's rows until the new run is published, then the new run's, never a mix; a run that
dies anywhere leaves the month as it was. Rows go by the bulk path of the imports (imports/writers.py), fed Arrow
batches read from Parquet:

- PostgreSQL: the tables are partitioned by month. Each history's month is COPied into a fresh table, the
  three side by side on connections of their own, its keys and indexes built once at the end (sorted);
  then one short transaction drops the month's old partitions, attaches the new ones (their indexes are
  linked, not built, and the month check spares the scan) and publishes the run. Readers of the histories
  wait only for that transaction (milliseconds), never for the load. A load that fails stops the other two
  at their next batch; it, or a run killed before the swap, leaves load tables no reader sees; they are
  dropped then, or at the month's next run.
- SQLite: one writer at a time for the whole file, so the load is cut into short transactions (a few hundred
  milliseconds each) and the web's own writes (a login, an audit record) get their turn in between. Publishing
  is one small transaction; the replaced run's rows are then deleted, again in short transactions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from threading import Event
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Column, Connection, Engine, MetaData, Table, delete, insert, text

from telcocrm.analytics import schemas
from telcocrm.db.base import Base
from telcocrm.db.types import utc_now
from telcocrm.errors import InvalidInput
from telcocrm.imports.writers import BulkWriter, larger_sqlite_cache, writer_for
from telcocrm.kit.months import parse_month
from telcocrm.kit.side_by_side import run_side_by_side, stop_if_abandoned
from telcocrm.models import AssessmentRun, CreditRatingHistory, LifecycleHistory, SegmentHistory

BATCH_ROWS = 131_072  # rows per Arrow batch: a COPY payload of a few MB, bounded memory
SQLITE_PART_ROWS = 32_768  # rows per SQLite transaction: the write lock is held under a second
CHECKPOINT_PARTS = 8  # parts between two checkpoints of SQLite's write-ahead log


@dataclass(frozen=True)
class Source:
    """One results file and the history table its rows go to."""

    file: str
    schema: pa.Schema
    table: Table
    renames: tuple[tuple[str, str], ...] = ()  # file column → table column


CREDIT_HISTORY = Base.metadata.tables[CreditRatingHistory.__tablename__]
SEGMENT_HISTORY = Base.metadata.tables[SegmentHistory.__tablename__]
LIFECYCLE_HISTORY = Base.metadata.tables[LifecycleHistory.__tablename__]
RUNS = Base.metadata.tables[AssessmentRun.__tablename__]
LIFECYCLE = Source(
    "lifecycle.parquet", schemas.LIFECYCLE, LIFECYCLE_HISTORY, renames=(("subscriber_id", "subscriber_code"),)
)
SOURCES = (
    Source("credit.parquet", schemas.CREDIT, CREDIT_HISTORY),
    Source("segments.parquet", schemas.SEGMENTS, SEGMENT_HISTORY),
    LIFECYCLE,
)
FEATURES = Source("subscriber_features.parquet", schemas.SUBSCRIBER_FEATURES, LIFECYCLE_HISTORY)


def write_back(
    database: Engine,
    month: str,
    rules_version: str,
    results_dir: Path,
    *,
    between_transactions: Callable[[], None] | None = None,
) -> int:
    """Write the run's results as a new run of the month and publish it; returns the run id.

    `between_transactions` is called whenever the SQLite load has committed a part and holds no lock.
    """
    parse_month(month)
    files = {source.file: _open(results_dir, source) for source in (*SOURCES, FEATURES)}
    holders = _holders(files[FEATURES.file], files[LIFECYCLE.file])
    run = Run(month, new_run_id(), rules_version, utc_now())
    if database.dialect.name == "postgresql":
        _swap_in(database, run, files, holders)
    else:
        _load_in_parts(database, run, files, holders, between_transactions or (lambda: None))
    return run.run_id


@dataclass(frozen=True)
class Run:
    """The run being written: its month, id, rules and moment."""

    month: str
    run_id: int
    rules_version: str
    recorded_at: datetime


def new_run_id() -> int:
    """A run id no earlier run has: the moment in microseconds (a legacy run is YYYYMM, far below)."""
    return time.time_ns() // 1_000


def _constants(writer: BulkWriter, run: Run) -> dict[str, Any]:
    """The columns with one value on every row of the run."""
    recorded = writer.timestamp(run.recorded_at)
    return {"month": run.month, "run_id": run.run_id, "rules_version": run.rules_version, "recorded_at": recorded}


def _swap_in(database: Engine, run: Run, files: dict[str, pq.ParquetFile], holders: pa.Array) -> None:
    """PostgreSQL: the histories loaded side by side, each into a fresh table on a connection of its own, then
    swapped in as the month's partitions and the run published in one short transaction."""
    _drop_loads(database, run.month)  # what an interrupted run left
    try:
        loads = [partial(_load_fresh, database, run, s, files[s.file], holders) for s in SOURCES]
        run_side_by_side(loads, thread_name_prefix="write-back")  # a failed load stops the others
        with database.begin() as conn:
            for source in SOURCES:
                _swap_partition(conn, source.table.name, run.month)
            _publish(conn, run)
    except BaseException:
        _drop_loads(database, run.month)
        raise


def _load_fresh(
    database: Engine, run: Run, source: Source, parquet: pq.ParquetFile, holders: pa.Array, abandon: Event
) -> None:
    """One history's rows into a new table shaped like it, committed but seen by no reader until the swap.

    The table is created with the history's keys and indexes, which the bulk writer drops and builds once the
    rows are in (a duplicate fails the key's build and with it the run), so the attach finds them built and
    only links them: the indexes are built here, beside the other loads, not while readers wait. Its rows are
    written frozen, as the table is new in this transaction.
    """
    load = _load_name(source.table.name, run.month)
    with database.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {load} (LIKE {source.table.name} INCLUDING DEFAULTS INCLUDING INDEXES)")
        # Added while the table is empty, so nothing is scanned; the attach then need not prove each row's month.
        conn.exec_driver_sql(
            f"ALTER TABLE {load} ADD CONSTRAINT {_partition(source.table.name, run.month)}_month"
            f" CHECK (month = '{run.month}')"
        )
        target = Table(load, MetaData(), *(Column(c.name, c.type) for c in source.table.columns))
        writer = writer_for(conn)
        with writer.loading([target], empty=True):
            for batch in _batches(parquet, source, holders):
                stop_if_abandoned(abandon)  # another history failed: this one's rows would be thrown away
                writer.insert(target, batch, _constants(writer, run))


def _load_in_parts(
    database: Engine, run: Run, files: dict[str, pq.ParquetFile], holders: pa.Array, pause: Callable[[], None]
) -> None:
    """SQLite: leftovers of interrupted runs out, the run in by parts, published, the replaced run out.

    One connection throughout, so the page cache stays warm from one part to the next.
    """
    with database.connect() as conn:
        with larger_sqlite_cache(conn), _checkpoint_at_end(conn):
            conn.commit()  # the pragmas opened SQLAlchemy's transaction; each part has its own
            between = _checkpointing(conn, pause)
            _delete_unpublished(conn, run.month, between)
            try:
                _load_parts(conn, run, files, holders, between)
                with conn.begin():
                    _publish(conn, run)
            except Exception:
                conn.rollback()
                _delete_unpublished(conn, run.month, between)  # tidy now; a killed run's rows go at the next run
                raise
            between()
            _delete_unpublished(conn, run.month, between)
        conn.commit()


def _checkpointing(conn: Connection, pause: Callable[[], None]) -> Callable[[], None]:
    """What runs between two parts: the caller's pause, and every CHECKPOINT_PARTS parts a checkpoint, so the
    write-ahead log stays within a few hundred MB instead of growing with the whole load."""
    parts = 0

    def between() -> None:
        nonlocal parts
        parts += 1
        if parts % CHECKPOINT_PARTS == 0:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")  # what no reader holds back
            conn.commit()  # the pragma opened SQLAlchemy's transaction
        pause()

    return between


@contextmanager
def _checkpoint_at_end(conn: Connection) -> Iterator[None]:
    """No checkpoint after each part's commit: one every CHECKPOINT_PARTS parts (_checkpointing), one at the end.

    In WAL mode a commit that finds the log past 1,000 pages copies it into the database file and syncs it:
    after every part, that was two thirds of the load's time (measured on a million subscribers).
    """
    previous = int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {previous}")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")  # what readers do not hold back


def _load_parts(
    conn: Connection, run: Run, files: dict[str, pq.ParquetFile], holders: pa.Array, pause: Callable[[], None]
) -> None:
    """Each part of each results file in a transaction of its own."""
    for source in SOURCES:
        for batch in _batches(files[source.file], source, holders, SQLITE_PART_ROWS):
            with conn.begin():
                writer = writer_for(conn)
                with writer.loading([source.table], empty=False):
                    writer.insert(source.table, batch, _constants(writer, run))
                    writer.flush()
            pause()


def _publish(conn: Connection, run: Run) -> None:
    """Point the month at the run: from this commit on, readers see its rows and no other run's."""
    conn.execute(delete(RUNS).where(RUNS.c.month == run.month))
    conn.execute(
        insert(RUNS).values(
            month=run.month, run_id=run.run_id, rules_version=run.rules_version, published_at=run.recorded_at
        )
    )


def _delete_unpublished(conn: Connection, month: str, pause: Callable[[], None]) -> None:
    """Delete the month's rows of runs not published (replaced, or interrupted), a part per transaction."""
    for source in SOURCES:
        # By rowid in parts: SQLite's DELETE has no LIMIT of its own (unless built with it).
        statement = text(
            f"DELETE FROM {source.table.name} WHERE rowid IN (SELECT rowid FROM {source.table.name} "
            "WHERE month = :month AND run_id NOT IN (SELECT run_id FROM assessment_run) LIMIT :rows)"
        )
        while True:
            with conn.begin():
                deleted = conn.execute(statement, {"month": month, "rows": SQLITE_PART_ROWS}).rowcount
            pause()
            if deleted < SQLITE_PART_ROWS:
                break


def _partition(table: str, month: str) -> str:
    """The name of a month's partition: `credit_rating_history_m2026_10` (the month is checked YYYY-MM)."""
    return f"{table}_m{month.replace('-', '_')}"


def _load_name(table: str, month: str) -> str:
    """The table a month's rows are loaded into before they become its partition."""
    return f"{_partition(table, month)}_load"


def _drop_loads(database: Engine, month: str) -> None:
    """Drop the month's load tables, if any: those of a load that failed, or of a run that was killed."""
    with database.begin() as conn:
        for source in SOURCES:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_load_name(source.table.name, month)}")


def _swap_partition(conn: Connection, table: str, month: str) -> None:
    """The loaded table replaces the month's partition, its indexes named as the partition's."""
    # Dropping the old partition locks the history until commit: readers wait for the renames and the attach
    # (which finds the indexes built and the month checked), milliseconds, never for the load.
    partition, load = _partition(table, month), _load_name(table, month)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {partition}")
    conn.exec_driver_sql(f"ALTER TABLE {load} RENAME TO {partition}")
    indexes = conn.execute(
        text("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = CAST(:t AS regclass)"), {"t": partition}
    ).scalars()
    for index in list(indexes):
        conn.exec_driver_sql(f"ALTER INDEX {index} RENAME TO {index.replace(load, partition, 1)}")
    conn.exec_driver_sql(f"ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ('{month}')")


def _open(results_dir: Path, source: Source) -> pq.ParquetFile:
    """The results file, its columns checked against the contract before anything is deleted."""
    path = results_dir / source.file
    if not path.exists():
        raise InvalidInput(f"结果文件缺失 {path} / results file missing", field=source.file, record=str(path))
    parquet = pq.ParquetFile(path)
    found = parquet.schema_arrow
    for wanted in _wanted(source):
        index = found.get_field_index(wanted.name)
        if index < 0:
            raise InvalidInput(
                f"{source.file} 缺少列 {wanted.name} / missing column {wanted.name}",
                field=wanted.name,
                record=str(path),
            )
        if not found.field(index).type.equals(wanted.type):
            raise InvalidInput(
                f"{source.file} 列 {wanted.name} 类型应为 {wanted.type} / column {wanted.name} must be "
                f"{wanted.type}, got {found.field(index).type}",
                field=wanted.name,
                record=str(path),
            )
    return parquet


def _wanted(source: Source) -> list[pa.Field]:
    """The columns read from the file: the features give only each subscriber's customer."""
    if source is FEATURES:
        return [source.schema.field("subscriber_id"), source.schema.field("customer_code")]
    return list(source.schema)


def _holders(features: pq.ParquetFile, lifecycle: pq.ParquetFile) -> pa.Array:
    """The customer of each lifecycle row in file order, from the month's features (one hash lookup for all).

    A subscriber without features is an error: the row would not know its customer.
    """
    known = features.read(columns=["subscriber_id", "customer_code"]).combine_chunks()
    subscribers = lifecycle.read(columns=["subscriber_id"]).column(0)
    at = pc.index_in(subscribers, value_set=known.column("subscriber_id").chunk(0))
    codes = pc.take(known.column("customer_code"), at)
    missing = pc.and_(pc.is_null(codes), pc.is_valid(subscribers))
    if pc.any(missing).as_py():
        first = pc.filter(subscribers, missing)[0].as_py()
        raise InvalidInput(
            f"用户 {first} 不在本月特征中 / subscriber {first} has lifecycle but no features",
            field="subscriber_id",
            record=first,
        )
    return codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes


def _batches(parquet: pq.ParquetFile, source: Source, holders: pa.Array, rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """The file's rows as tables with the history's column names, ready for the bulk writer."""
    names = [f.name for f in source.schema]
    renames = dict(source.renames)
    done = 0
    for batch in parquet.iter_batches(batch_size=rows, columns=names):
        table = pa.Table.from_batches([batch]).select(names)
        if source is LIFECYCLE:
            table = table.append_column("customer_code", holders.slice(done, table.num_rows))
        done += table.num_rows
        yield table.rename_columns([renames.get(name, name) for name in table.column_names])
