"""Finding and reading the files of a month: which file is each table, are its columns right, its rows in batches.

CSV is read with every column as text (imports.reader), so a bad value becomes a problem of its row instead of a
parser error; Parquet is read as typed, and its column types are checked against the contract first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from telcocrm.extracts.contract import SUFFIXES, Table
from telcocrm.extracts.values import refused_type
from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import PARQUET_BATCH_ROWS, UnreadableFile, _CsvBatches, header

HEADER_LINE = 1  # problems of the columns: the CSV header line (row 0 means the whole file)


@dataclass(frozen=True)
class Batch:
    """Some consecutive rows of a table file: its present columns as read, and each row's number in the file."""

    columns: dict[str, pa.Array]
    lines: pa.Array  # int64: CSV line (header = 1), Parquet row (first = 1)

    def __len__(self) -> int:
        return len(self.lines)


def locate(folder: Path, table: Table, problems: ProblemLog) -> Path | None:
    """The one file of the table in the month's folder; a problem when there are two, or none of a required table."""
    found = [folder / f"{table.name}{suffix}" for suffix in SUFFIXES if (folder / f"{table.name}{suffix}").is_file()]
    if len(found) == 1:
        return found[0]
    if not found and table.optional:
        return None
    problems.file = f"{table.name}.*"
    if found:
        problems.add(0, "", "同一张表有两个文件 / both NAME.csv and NAME.parquet are given: keep one")
    else:
        problems.add(0, "", f"缺少文件 / missing file: {table.name}.csv or {table.name}.parquet is required")
    return None


def check_columns(path: Path, table: Table, problems: ProblemLog) -> list[str] | None:
    """The contract's columns present in the file, or None when its columns are wrong (its rows are not read)."""
    before = problems.total
    try:
        names = header(path)
        types = dict(zip(names, pq.ParquetFile(path).schema_arrow.types, strict=True)) if _parquet(path) else {}
    except UnreadableFile as exc:
        problems.add(0, "", str(exc))
        return None
    known = {column.name: column for column in table.columns}
    line = 0 if types else HEADER_LINE
    for position, name in enumerate(names):
        if name not in known:
            problems.add(line, name, "未知列 / unknown column (see docs/data-contract.md)")
        elif name in names[:position]:
            problems.add(line, name, "列重复 / column appears twice")
        elif name in types and (reason := refused_type(known[name].kind, types[name])):
            problems.add(0, name, reason)
    for column in table.columns:
        if column.required and column.name not in names:
            problems.add(line, column.name, "缺少必需列 / required column is missing")
    if problems.total > before:
        return None
    return [column.name for column in table.columns if column.name in names]


def read_batches(path: Path, present: list[str], problems: ProblemLog) -> Iterator[Batch]:
    """The file's rows batch by batch; malformed CSV rows become problems (and are skipped)."""
    try:
        if _parquet(path):
            first = 1
            for record in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=present):
                yield Batch(_columns(record, present), _line_array(range(first, first + record.num_rows)))
                first += record.num_rows
        else:
            for record, lines in _CsvBatches(path, present, problems):
                yield Batch(_columns(record, present), _line_array(lines))
    except pa.ArrowInvalid as exc:
        problems.add(0, "", f"文件无法读取（须为 UTF-8）/ the file cannot be read (it must be UTF-8): {exc}")


def _parquet(path: Path) -> bool:
    return path.suffix == ".parquet"


def _columns(record: pa.RecordBatch, present: list[str]) -> dict[str, pa.Array]:
    return {name: record.column(name) for name in present}


def _line_array(lines: Sequence[int]) -> pa.Array:
    if isinstance(lines, range):
        return pa.array(np.arange(lines.start, lines.stop, dtype=np.int64))
    return pa.array(lines, pa.int64())
