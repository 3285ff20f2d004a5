"""Reads an import file (CSV or Parquet) in chunks of trimmed text columns, with each row's line number."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from telcocrm.imports.columns import COLUMNS, REQUIRED_COLUMNS
from telcocrm.imports.problems import ProblemLog

CSV_SUFFIXES = frozenset({".csv", ".txt"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
CSV_BLOCK_BYTES = 16 << 20
PARQUET_BATCH_ROWS = 131_072
# Rows per chunk of an import: small enough that the COPYs of the last chunk, which nothing overlaps, are short.
IMPORT_BATCH_ROWS = 65_536


class UnreadableFile(Exception):
    """The file cannot be read as an import file at all (wrong type, not UTF-8, broken)."""


@dataclass
class Chunk:
    """Some consecutive rows: every column of the format as trimmed text ('' when empty), with line numbers."""

    lines: Sequence[int]
    arrays: dict[str, pa.Array]
    _lists: dict[str, list[str]] = field(default_factory=dict)
    _line_array: pa.Array | None = None

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def line_array(self) -> pa.Array:
        """The line numbers as an Arrow int32 array (built once)."""
        if self._line_array is None:
            lines = self.lines
            if isinstance(lines, range):  # the usual case: numbered in numpy, not a Python int at a time
                self._line_array = pa.array(np.arange(lines.start, lines.stop, lines.step, dtype=np.int32))
            else:
                self._line_array = pa.array(lines, pa.int32())
        return self._line_array

    def column(self, name: str) -> list[str]:
        """A column as Python strings (converted once, on first use)."""
        values = self._lists.get(name)
        if values is None:
            values = self._lists[name] = self.arrays[name].to_pylist()
        return values

    def rows(self, indices: Sequence[int], names: Sequence[str]) -> list[tuple[str, ...]]:
        """The values of some columns at some rows, as tuples (only these values become Python objects)."""
        if not indices:
            return []
        taken = pa.array(indices, pa.int64())
        return list(zip(*(self.arrays[name].take(taken).to_pylist() for name in names), strict=True))


def file_kind(path: Path) -> str:
    """'csv' or 'parquet', from the file's suffix."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise UnreadableFile(f"文件类型不支持 / unsupported file type {suffix or '(none)'}: use .csv or .parquet")


def header(path: Path) -> list[str]:
    """The column names of the file, as written in it."""
    if not path.is_file():
        raise UnreadableFile(f"文件不存在 / no such file: {path.name}")
    if file_kind(path) == "parquet":
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise UnreadableFile(f"不是有效的 Parquet 文件 / not a readable Parquet file: {exc}") from exc
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except UnicodeDecodeError as exc:
        raise UnreadableFile("文件不是 UTF-8 编码 / the file is not UTF-8: save it as 'CSV UTF-8'") from exc


def check_header(names: list[str], problems: ProblemLog) -> list[str]:
    """Report unknown, repeated and missing required columns; returns the known columns present."""
    line = 1
    seen: set[str] = set()
    for name in names:
        if name not in COLUMNS:
            problems.add(line, name, "未知列 / unknown column (see docs/data-contract.md)")
        elif name in seen:
            problems.add(line, name, "列重复 / column appears twice")
        seen.add(name)
    for name in sorted(REQUIRED_COLUMNS - seen):
        problems.add(line, name, "缺少必需列 / required column is missing")
    return [name for name in COLUMNS if name in seen]


def estimate_rows(path: Path) -> int:
    """The number of data rows: exact for Parquet, counted line breaks for CSV (fast, near enough)."""
    if file_kind(path) == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    breaks = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            breaks += block.count(b"\n")
    return max(breaks - 1, 0)


def rows_at_most(path: Path) -> int:
    """An upper bound on the data rows: exact for Parquet; for CSV the line breaks (the header has one, and a
    quoted value spanning lines only lowers the count of records), plus one for a last line without a break."""
    if file_kind(path) == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return estimate_rows(path) + 2


def read_chunks(path: Path, present: list[str], problems: ProblemLog) -> Iterator[Chunk]:
    """The file's rows chunk by chunk; blank rows are skipped, malformed CSV rows become problems."""
    reader = _parquet_batches(path, present) if file_kind(path) == "parquet" else _CsvBatches(path, present, problems)
    try:
        for batch, lines in reader:
            chunk = _to_chunk(batch, lines, present)
            if len(chunk):
                yield chunk
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise UnreadableFile("文件不是 UTF-8 编码 / the file is not UTF-8: save it as 'CSV UTF-8'") from exc
        raise UnreadableFile(f"文件无法读取 / the file cannot be read: {exc}") from exc


def _parquet_batches(path: Path, present: list[str]) -> Iterator[tuple[pa.RecordBatch, Sequence[int]]]:
    first = 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=IMPORT_BATCH_ROWS, columns=present):
        yield batch, range(first, first + batch.num_rows)
        first += batch.num_rows


class _CsvBatches:
    """CSV batches with physical line numbers: the header is line 1, a skipped malformed row keeps its number."""

    def __init__(self, path: Path, present: list[str], problems: ProblemLog) -> None:
        self.path = path
        self.present = present
        self.problems = problems
        self.skipped: set[int] = set()

    def _invalid_row(self, row: Any) -> str:
        self.skipped.add(row.number)
        self.problems.add(
            row.number,
            "",
            f"列数不对：应为 {row.expected_columns}，实为 {row.actual_columns}"
            f" / expected {row.expected_columns} fields, found {row.actual_columns}",
        )
        return "skip"

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, Sequence[int]]]:
        reader = pacsv.open_csv(
            self.path,
            # Single-threaded parsing is what makes pyarrow report the line number of a malformed row.
            read_options=pacsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(invalid_row_handler=self._invalid_row, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header(self.path), pa.string()),
                include_columns=self.present,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        next_line = 2
        for batch in reader:
            lines = self._lines(next_line, batch.num_rows)
            next_line = (lines[-1] + 1) if len(lines) else next_line
            yield batch, lines

    def _lines(self, first: int, count: int) -> Sequence[int]:
        if not self.skipped:
            return range(first, first + count)
        lines, line = [], first
        for _ in range(count):
            while line in self.skipped:
                line += 1
            lines.append(line)
            line += 1
        return lines


def _to_chunk(batch: pa.RecordBatch, lines: Sequence[int], present: list[str]) -> Chunk:
    """Trim every column and drop rows where every column is empty (blank lines, Excel's trailing rows)."""
    arrays = {name: _text(batch.column(name)) for name in present}
    blank = None
    for array in arrays.values():
        empty = pc.equal(array, "")
        blank = empty if blank is None else pc.and_(blank, empty)
    if blank is not None and pc.any(blank).as_py():
        keep = pc.invert(blank)
        arrays = {name: array.filter(keep) for name, array in arrays.items()}
        lines = pa.array(lines, pa.int64()).filter(keep).to_pylist()
    count = len(lines)
    for name in COLUMNS:
        if name not in arrays:
            arrays[name] = pa.repeat("", count)
    return Chunk(lines=lines, arrays=arrays)


def _text(array: pa.Array) -> pa.Array:
    """The column as trimmed text; nulls become ''. Parquet dates and numbers are turned into text first."""
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return pc.utf8_trim_whitespace(array.fill_null(""))
