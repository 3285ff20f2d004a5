"""COPY … FROM STDIN in PostgreSQL's binary format, built a whole column at a time from Arrow.

The text format makes the server parse every value back from text: dates and timestamps go through the
general date-time parser (about a microsecond each), integers through their own. On an import that was a
third of the COPY's time on the server, which is the import's slowest part. In the binary format every value
arrives as its length and its bytes: integers, dates and timestamps as big-endian numbers, text as UTF-8.
Only the column types below are encoded; a table with any other type goes by the text format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from telcocrm.imports.arrowbytes import value_bytes

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags (none), header extension length (none)
TRAILER = b"\xff\xff"  # a field count of -1
NULL_FIELD = b"\xff\xff\xff\xff"  # a length of -1
PG_EPOCH_DAYS = 10_957  # PostgreSQL counts dates and timestamps from 2000-01-01, Arrow from 1970-01-01
PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400 * 1_000_000
# Fixed-width types: the big-endian numpy type of their binary form.
FIXED: dict[str, str] = {
    "smallint": ">i2",
    "integer": ">i4",
    "bigint": ">i8",
    "boolean": "u1",
    "date": ">i4",
    "timestamp with time zone": ">i8",
}
TEXTUAL = frozenset({"text", "character varying", "json"})  # sent as their UTF-8 text, as in the text format
SUPPORTED = frozenset(FIXED) | TEXTUAL


def column_types(conn: Connection, table: str) -> dict[str, str]:
    """Each column's type as PostgreSQL names it (e.g. 'character varying', 'timestamp with time zone')."""
    rows = conn.execute(
        text(
            "SELECT attname, atttypid::regtype::text FROM pg_attribute"
            " WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
        ),
        {"table": table},
    ).all()
    return {name: type_name for name, type_name in rows}


def encodable(types: Mapping[str, str], names: list[str]) -> bool:
    """Whether every one of these columns has a type this module encodes."""
    return all(types.get(name) in SUPPORTED for name in names)


def copy_binary(data: pa.Table, constants: Mapping[str, Any], types: Mapping[str, str]) -> list[memoryview | bytes]:
    """The rows in COPY's binary format, as buffers to send in order (no copy of the rows into one).

    Constants are encoded once and repeated by the join, not materialised as columns.
    """
    parts: list[pa.Array | pa.Scalar] = []
    for name in data.column_names:
        parts += _field(data.column(name), types[name])
    parts += [_constant(value, types[name]) for name, value in constants.items()]
    count = pa.scalar((data.num_columns + len(constants)).to_bytes(2, "big"), pa.binary())
    rows = pc.binary_join_element_wise(count, *parts, b"")
    return [HEADER, value_bytes(rows), TRAILER]


def _field(column: pa.ChunkedArray | pa.Array, type_name: str) -> list[pa.Array]:
    """One column as the parts of its binary fields: each value's length (4 bytes) and its bytes.

    Text gives two parts, lengths and values, which the row join puts together: its bytes are copied once.
    """
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if type_name in TEXTUAL:
        return _variable(values)
    encoded = _fixed(_numbers(values, type_name), FIXED[type_name])
    return [encoded.fill_null(NULL_FIELD) if values.null_count else encoded]


def _variable(values: pa.Array) -> list[pa.Array]:
    """Text: its lengths (-1 for null, which is the null field), then its UTF-8 bytes ('' for null)."""
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    lengths = pc.binary_length(values).fill_null(-1).to_numpy(zero_copy_only=False).astype(">i4")
    return [_fixed_bytes(lengths), (values.fill_null("") if values.null_count else values).cast(pa.binary())]


def _numbers(values: pa.Array, type_name: str) -> pa.Array:
    """The values as the integers the binary format holds (nulls kept)."""
    if type_name == "boolean":
        return values.cast(pa.bool_()).cast(pa.uint8())
    if type_name == "date":
        return pc.subtract(values.cast(pa.date32()).cast(pa.int32()), PG_EPOCH_DAYS)
    if type_name == "timestamp with time zone":
        moments = values.cast(pa.timestamp("us", tz="UTC"))  # text with its offset, or aware timestamps
        return pc.subtract(moments.cast(pa.int64()), PG_EPOCH_MICROS)
    return values.cast({"smallint": pa.int16(), "integer": pa.int32()}.get(type_name, pa.int64()))  # checks range


def _fixed(numbers: pa.Array, dtype: str) -> pa.Array:
    """Fixed-width numbers behind their length; nulls stay null."""
    width = np.dtype(dtype).itemsize
    filled = numbers.fill_null(0) if numbers.null_count else numbers
    matrix = np.empty((len(numbers), 4 + width), np.uint8)
    matrix[:, :4] = np.frombuffer(width.to_bytes(4, "big"), np.uint8)
    matrix[:, 4:] = filled.to_numpy(zero_copy_only=False).astype(dtype).view(np.uint8).reshape(-1, width)
    encoded = _matrix_binary(matrix)
    return pc.if_else(numbers.is_valid(), encoded, pa.scalar(None, pa.binary())) if numbers.null_count else encoded


def _fixed_bytes(values: np.ndarray[Any, Any]) -> pa.Array:
    """A numpy array of big-endian numbers as a binary array of their bytes."""
    return _matrix_binary(values.view(np.uint8).reshape(len(values), values.dtype.itemsize))


def _matrix_binary(matrix: np.ndarray[Any, Any]) -> pa.Array:
    """Rows of a uint8 matrix as binary values (one buffer, no per-row work in Python)."""
    count, width = matrix.shape
    offsets = pa.py_buffer(np.arange(0, (count + 1) * width, width, dtype=np.int32))
    return pa.Array.from_buffers(pa.binary(), count, [None, offsets, pa.py_buffer(np.ascontiguousarray(matrix))])


def _constant(value: Any, type_name: str) -> pa.Scalar:
    """One value, the same on every row, as one encoded field."""
    if value is None:
        return pa.scalar(NULL_FIELD, pa.binary())
    parts = _field(pa.array([value]), type_name)
    return pa.scalar(b"".join(part[0].as_py() for part in parts), pa.binary())
