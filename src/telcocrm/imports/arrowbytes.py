"""Byte-level views of Arrow string arrays: their values as one buffer, and the byte at a position of each value.

Several checks only ask whether some byte occurs anywhere in a column (a NUL, a character COPY escapes); one
search over the column's bytes answers that an order of magnitude faster than a pattern matched per value.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def value_bytes(values: pa.Array) -> memoryview:
    """The concatenated values of a string (or binary) array, without copying them."""
    if pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type):
        values = values.cast(pa.string() if pa.types.is_large_string(values.type) else pa.binary())
    count = len(values)
    if count == 0:
        return memoryview(b"")
    offsets = pa.Array.from_buffers(pa.int32(), count + 1, [None, values.buffers()[1]], offset=values.offset)
    start, end = offsets[0].as_py(), offsets[count].as_py()
    data = values.buffers()[2]
    return memoryview(data)[start:end] if data is not None else memoryview(b"")


def contains_any(values: pa.Array, needles: tuple[bytes, ...]) -> bool:
    """Whether any value holds any of these byte strings (one copy of the column, then fast searches)."""
    raw = bytes(value_bytes(values))
    return any(needle in raw for needle in needles)


def byte_columns(values: pa.Array, width: int) -> list[pa.Array]:
    """The byte at each position of ASCII values all exactly `width` long, one int32 column per position.

    Each position is a one-byte slice of every value, whose data buffer is then read as unsigned bytes;
    callers guarantee the width (a regular expression matched first).
    """
    count = len(values)
    if len(value_bytes(values)) != count * width:
        raise ValueError(f"values are not all {width} bytes long")
    binary = values.cast(pa.binary())
    columns = []
    for position in range(width):
        sliced = pc.binary_slice(binary, position, position + 1)
        data = sliced.buffers()[2] if count else pa.py_buffer(b"")
        columns.append(pa.Array.from_buffers(pa.uint8(), count, [None, data]).cast(pa.int32()))
    return columns
