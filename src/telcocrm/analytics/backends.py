"""The engines the batch runs on: the only module that names DuckDB or Spark.

DuckDB runs in-process and is the default. Spark (PySpark, an optional extra) runs in local mode on one machine
or against a cluster given by `TELCOCRM_SPARK_MASTER`. Both read and write Parquet; nothing else is shared.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from telcocrm.analytics.parts import WHOLE, HashPart
from telcocrm.errors import InvalidInput


class Engine(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


@contextmanager
def connect(engine: Engine, *, threads: int | None = None, memory_limit: str | None = None) -> Iterator[Any]:
    """An Ibis backend for the engine, closed (or left to Spark's shared session) afterwards."""
    # Ibis would merge each chain of selects into one before compiling. Both engines' optimisers flatten nested
    # projections themselves, and the merging was a third of compiling (1M, the run's first four tables: 1.38 s
    # of compiling with it, 0.85 s without, the same rows and no slower to run; docs/benchmarks.md § monthly batch).
    ibis.options.sql.fuse_selects = False
    if engine is Engine.DUCKDB:
        con = _duckdb(threads, memory_limit)
        try:
            yield con
        finally:
            con.disconnect()
    else:
        yield ibis.pyspark.connect(spark_session())


def _duckdb(threads: int | None, memory_limit: str | None) -> Any:
    from telcocrm.config import get_settings

    settings = get_settings()
    config: dict[str, Any] = {
        "memory_limit": memory_limit or settings.batch_memory_limit,
        "temp_directory": str(settings.data_dir / "analytics" / ".spill"),
    }
    if threads:
        config["threads"] = threads
    con = ibis.duckdb.connect(**config)
    con.raw_sql("SET TimeZone = 'UTC'")  # times are stored local without a zone: never shift them
    return con


def spark_session() -> Any:
    """The process's Spark session (started once; about 10 s in local mode)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra being installed
        raise InvalidInput("Spark is not installed: pip install 'telcocrm[spark]'", field="engine") from exc
    _java_home()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: never bind to the public interface
    # Python work on the executors (churn scoring) needs telcocrm and its model libraries: in local mode this very
    # interpreter; on a cluster, set PYSPARK_PYTHON to an environment with telcocrm installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    master = os.environ.get("TELCOCRM_SPARK_MASTER", "local[2]")
    return (
        SparkSession.builder.master(master)
        .appName("telcocrm")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")  # as DuckDB: local times stay as written
        .config("spark.sql.shuffle.partitions", os.environ.get("TELCOCRM_SPARK_PARTITIONS", "8"))
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.memory", os.environ.get("TELCOCRM_SPARK_DRIVER_MEMORY", "4g"))
        .getOrCreate()
    )


def _java_home() -> None:
    """Point Spark at the machine's Java when JAVA_HOME is not set."""
    if os.environ.get("JAVA_HOME") or not shutil.which("java"):
        return
    java = Path(shutil.which("java") or "").resolve()
    os.environ["JAVA_HOME"] = str(java.parent.parent)


def read_parquet(con: Any, paths: Sequence[Path], schema: pa.Schema) -> ir.Table:
    """The Parquet files as one table; an empty table of the schema when there are none."""
    existing = [p for p in paths if p.exists()]
    if not existing:
        return ibis.memtable(schema.empty_table())
    if len(existing) == 1:
        return con.read_parquet(str(existing[0]))
    if con.name == Engine.DUCKDB.value:
        return con.read_parquet([str(p) for p in existing])
    # Ibis's PySpark backend reads one path (a list becomes one malformed pattern): a union of the months.
    return ibis.union(*[con.read_parquet(str(p)) for p in existing])


def write_parquet(con: Any, expr: ir.Table, path: Path, schema: pa.Schema) -> int:
    """Write the table to one Parquet file in the schema's column order and types; returns the row count.

    The engine writes the file itself (DuckDB's COPY, Spark's executors), so rows never pass through Python;
    Spark's folder of part files is then gathered into one file batch by batch.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    expr = expr.select(*schema.names)
    if con.name == Engine.DUCKDB.value:
        return _write_duckdb(con, expr, path, schema)  # casts in the COPY's own SQL
    return _write_spark(con, expr.cast(ibis.schema(schema)), path, schema)


PART_BATCH_ROWS = 131_072  # rows per Arrow batch, so per row group, when a table is written part by part
# DuckDB's own names of the Arrow types the schemas use.
DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us"): "TIMESTAMP",
    pa.float64(): "DOUBLE",
}


def _sql(con: Any, expr: ir.Table) -> str:
    """The expression's SQL, its in-memory tables registered on the engine first.

    Executing an expression registers them; compiling it does not, and the writes here run compiled SQL. An
    in-memory table stands in for an optional extract a month does not have (`read_parquet`), so without this a
    month without, say, a referrals file failed with "Table … ibis_pyarrow_memtable_… does not exist".
    """
    con._run_pre_execute_hooks(expr)
    return str(con.compile(expr))


def _write_duckdb(con: Any, expr: ir.Table, path: Path, schema: pa.Schema) -> int:
    """COPY of the expression's rows, each column cast to the schema's type (_typed_sql)."""
    target = str(path).replace("'", "''")
    con.raw_sql(f"COPY ({_typed_sql(con, expr, schema)}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    return int(pq.ParquetFile(path).metadata.num_rows)


def _typed_sql(con: Any, expr: ir.Table, schema: pa.Schema) -> str:
    """The expression's SQL with an explicit CAST of every column.

    Ibis types `sum` of int64 as int64 and so drops the cast, but DuckDB sums into HUGEINT, which its Parquet
    writer stores as DOUBLE: the casts must be in the SQL itself.
    """
    casts = ", ".join(f'CAST("{f.name}" AS {DUCKDB_TYPES[f.type]}) AS "{f.name}"' for f in schema)
    return f"SELECT {casts} FROM ({_sql(con, expr)})"


def write_parquet_parts(
    con: Any, build: Callable[[HashPart], ir.Table], path: Path, schema: pa.Schema, parts: list[HashPart]
) -> int:
    """Write a table built part by part (HashPart) to one Parquet file; returns the row count.

    On DuckDB each part's rows are streamed into the one file in turn, so only one part's joins are in memory
    at a time. Spark spills by itself and writes the whole table at once. One part is write_parquet.
    """
    if len(parts) == 1 or con.name != Engine.DUCKDB.value:
        return write_parquet(con, build(WHOLE), path, schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    statements = (_typed_sql(con, build(part).select(*schema.names), schema) for part in parts)  # one at a time

    def conform(batch: pa.RecordBatch) -> pa.RecordBatch:
        return batch if batch.schema == schema else batch.cast(schema)

    return _stream_duckdb(con, statements, conform, path, schema, PART_BATCH_ROWS)


def _write_spark(con: Any, expr: ir.Table, path: Path, schema: pa.Schema) -> int:
    folder = path.with_suffix(".spark")
    shutil.rmtree(folder, ignore_errors=True)
    con.to_parquet(expr, str(folder))
    return _gather(folder, path, schema)


BatchFunction = Callable[[pa.RecordBatch], pa.RecordBatch]


def map_batches(con: Any, expr: ir.Table, function: BatchFunction, path: Path, schema: pa.Schema, rows: int) -> int:
    """Apply a Python function (a model's scoring) to the table batch by batch into one Parquet file of `schema`.

    DuckDB hands Arrow batches of `rows` rows to the function in this process. Spark runs it on its executors
    (mapInArrow): the function is shipped with each task and rows never gather on the driver; the executors'
    part files are then joined into one file as write_parquet does. Returns the row count.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if con.name == Engine.DUCKDB.value:
        return _map_duckdb(con, expr, function, path, schema, rows)
    return _map_spark(con, expr, function, path, schema)


def _map_duckdb(con: Any, expr: ir.Table, function: BatchFunction, path: Path, schema: pa.Schema, rows: int) -> int:
    return _stream_duckdb(con, [_sql(con, expr)], function, path, schema, rows)


def _stream_duckdb(
    con: Any, statements: Iterable[str], function: BatchFunction, path: Path, schema: pa.Schema, rows: int
) -> int:
    """The rows of each statement in turn, `rows` at a time through `function`, into one Parquet file."""
    written = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for statement in statements:
            # DuckDB's own reader: Ibis 12's to_pyarrow_batches calls a cursor method DuckDB 2 no longer has.
            for batch in con.con.sql(statement).to_arrow_reader(rows):
                result = function(batch)
                writer.write_batch(result)
                written += result.num_rows
        if written == 0:
            writer.write_table(schema.empty_table())
    return written


def _map_spark(con: Any, expr: ir.Table, function: BatchFunction, path: Path, schema: pa.Schema) -> int:
    from pyspark.sql.pandas.types import from_arrow_schema

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield function(batch)

    frame = con._session.sql(_sql(con, expr))
    folder = path.with_suffix(".spark")
    shutil.rmtree(folder, ignore_errors=True)
    frame.mapInArrow(apply, from_arrow_schema(schema)).write.parquet(str(folder))
    return _gather(folder, path, schema)


def _gather(folder: Path, path: Path, schema: pa.Schema) -> int:
    """Spark's folder of part files (one per partition) as one Parquet file, batch by batch."""
    parts = ds.dataset(str(folder), format="parquet")
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in parts.to_batches():
            table = pa.Table.from_batches([batch]).cast(schema)
            writer.write_table(table)
            rows += table.num_rows
    shutil.rmtree(folder, ignore_errors=True)
    return rows
