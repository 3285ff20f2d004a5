"""The write-back: a month's credit ratings, segments and lifecycle stages into the operational database's histories.

One transaction replaces the month in all three tables, so a rerun gives the same rows and a failure anywhere
leaves the previous rows as they were. Rows go by the bulk path of the imports (imports/writers.py), fed Arrow
batches read from Parquet:

- PostgreSQL: the tables are partitioned by month. The month is COPied into a fresh table without indexes,
  which then replaces the month's partition (drop the old one, attach the new one: its indexes are built
  once, sorted, and the month check spares the scan). Measured on a million subscribers, this is several
  times faster than deleting a month's rows and inserting the new ones through the indexes.
- SQLite: delete the month's rows and insert the new ones with executemany.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Column, Connection, Engine, MetaData, Table, delete

from telcocrm.analytics import schemas
from telcocrm.db.base import Base
from telcocrm.db.types import utc_now
from telcocrm.errors import InvalidInput
from telcocrm.imports.writers import PostgresCopyWriter, writer_for
from telcocrm.kit.months import parse_month
from telcocrm.models import CreditRatingHistory, LifecycleHistory, SegmentHistory

BATCH_ROWS = 131_072  # rows per Arrow batch: a COPY payload of a few MB, bounded memory


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
LIFECYCLE = Source(
    "lifecycle.parquet", schemas.LIFECYCLE, LIFECYCLE_HISTORY, renames=(("subscriber_id", "subscriber_code"),)
)
SOURCES = (
    Source("credit.parquet", schemas.CREDIT, CREDIT_HISTORY),
    Source("segments.parquet", schemas.SEGMENTS, SEGMENT_HISTORY),
    LIFECYCLE,
)
FEATURES = Source("subscriber_features.parquet", schemas.SUBSCRIBER_FEATURES, LIFECYCLE_HISTORY)


def write_back(database: Engine, month: str, rules_version: str, results_dir: Path) -> None:
    """Replace the month's rows of the credit, segment and lifecycle histories with the run's results."""
    parse_month(month)
    files = {source.file: _open(results_dir, source) for source in (*SOURCES, FEATURES)}
    holders = _holders(files[FEATURES.file], files[LIFECYCLE.file])
    recorded_at = utc_now()
    with database.begin() as conn:
        writer = writer_for(conn)
        constants = {"month": month, "rules_version": rules_version, "recorded_at": writer.timestamp(recorded_at)}
        swap = isinstance(writer, PostgresCopyWriter)
        targets = _fresh_partitions(conn, month) if swap else _emptied_month(conn, month)
        with writer.loading(list(targets.values()), empty=False):
            for source in SOURCES:
                for batch in _batches(files[source.file], source, holders):
                    writer.insert(targets[source.table.name], batch, constants)
        writer.flush()
        if swap:
            _swap_partitions(conn, month, targets)


def _emptied_month(conn: Connection, month: str) -> dict[str, Table]:
    """Delete the month's rows; the rows go into the tables themselves."""
    for source in SOURCES:
        conn.execute(delete(source.table).where(source.table.c.month == month))
    return {source.table.name: source.table for source in SOURCES}


def _partition(table: str, month: str) -> str:
    """The name of a month's partition: `credit_rating_history_m2026_10` (the month is checked YYYY-MM)."""
    return f"{table}_m{month.replace('-', '_')}"


def _fresh_partitions(conn: Connection, month: str) -> dict[str, Table]:
    """A new table per history, shaped like it, without indexes: the month's rows go there first."""
    fresh = {}
    for source in SOURCES:
        name = f"{_partition(source.table.name, month)}_load"
        conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE {source.table.name} INCLUDING DEFAULTS)")
        fresh[source.table.name] = Table(name, MetaData(), *(Column(c.name, c.type) for c in source.table.columns))
    return fresh


def _swap_partitions(conn: Connection, month: str, fresh: dict[str, Table]) -> None:
    """Each new table replaces the month's partition; duplicates fail the key's build and roll everything back."""
    # Dropping the old partition locks the history until commit: readers wait only for the attach that
    # follows (it builds the partition's indexes, a second or two for a million rows), never for the load.
    for table, loaded in fresh.items():
        partition = _partition(table, month)
        # The check lets ATTACH skip scanning the rows to prove they belong to the month.
        conn.exec_driver_sql(f"ALTER TABLE {loaded.name} ADD CONSTRAINT {partition}_month CHECK (month = '{month}')")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {partition}")
        conn.exec_driver_sql(f"ALTER TABLE {loaded.name} RENAME TO {partition}")
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


def _batches(parquet: pq.ParquetFile, source: Source, holders: pa.Array) -> Iterator[pa.Table]:
    """The file's rows as tables with the history's column names, ready for the bulk writer."""
    names = [f.name for f in source.schema]
    renames = dict(source.renames)
    done = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=names):
        table = pa.Table.from_batches([batch]).select(names)
        if source is LIFECYCLE:
            table = table.append_column("customer_code", holders.slice(done, table.num_rows))
        done += table.num_rows
        yield table.rename_columns([renames.get(name, name) for name in table.column_names])
