"""Numbers the source keys of a file (customer_ref, account_ref) in order of first appearance, chunk by chunk.

The number (ordinal) of a key is what the write pass turns into a database id (first id + ordinal), so rows
find their customer's and account's ids without another look-up. Python sees each distinct key of a chunk
once (a dict update at C speed in the usual case); every per-row step is an Arrow operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class ChunkKeys:
    """The keys of one chunk's rows."""

    ordinals: pa.Array  # int32 per row: the key's ordinal in the file; null where the key is empty
    start: int  # ordinal of the first key this chunk introduces; they run on from it without a gap
    first_rows: pa.Array  # int64: rows introducing a new key, in ordinal order (their file-first rows)
    reference_rows: pa.Array  # int64 per row: the chunk's first row with the same key
    is_new: pa.Array  # bool per row: the key first appears in this chunk (null where empty)
    is_first: pa.Array  # bool per row: the row is its key's first row in the file

    @property
    def count(self) -> int:
        """How many keys this chunk introduces."""
        return len(self.first_rows)


class KeyIndex:
    """Ordinals of every key met so far."""

    def __init__(self) -> None:
        self.ordinals: dict[str, int] = {}
        self._names: list[str] | None = None

    def __len__(self) -> int:
        return len(self.ordinals)

    def get(self, key: str) -> int | None:
        """The ordinal of a key, or None when the file has no such key (so far)."""
        return self.ordinals.get(key)

    def name(self, ordinal: int) -> str:
        """The key of an ordinal (for messages; builds a reverse list once)."""
        if self._names is None or len(self._names) <= ordinal:
            self._names = list(self.ordinals)  # dicts keep insertion order: the ordinal order
        return self._names[ordinal]

    def encode(self, keys: pa.Array) -> ChunkKeys:
        """Number the keys of a chunk; new keys get the next ordinals in order of their first row."""
        encoded = pc.dictionary_encode(keys)
        local, names = encoded.indices, encoded.dictionary.to_pylist()
        start = len(self.ordinals)
        if "" not in names and self.ordinals.keys().isdisjoint(names):
            # The usual chunk: keys not met before (a file lists a customer's rows together).
            self.ordinals.update(zip(names, range(start, start + len(names)), strict=True))
            ordinals = pc.add(local, pa.scalar(start, pa.int32()))
            new_local = None
        else:
            mapping = self._number(names)
            ordinals = pa.array(mapping, pa.int32()).take(local)
            new_local = pa.array([o is not None and o >= start for o in mapping])
        return _chunk_keys(local, ordinals, start, new_local)

    def _number(self, names: list[str]) -> list[int | None]:
        mapping: list[int | None] = []
        for name in names:
            if not name:
                mapping.append(None)  # an empty key is a problem of its own (required): it groups nothing
                continue
            ordinal = self.ordinals.get(name)
            if ordinal is None:
                ordinal = self.ordinals[name] = len(self.ordinals)
            mapping.append(ordinal)
        return mapping


def _chunk_keys(local: pa.Array, ordinals: pa.Array, start: int, new_local: pa.Array | None) -> ChunkKeys:
    # Local indices number a chunk's distinct keys in order of appearance, so a row is its key's first row
    # in the chunk exactly when its index exceeds every index before it.
    local = local.cast(pa.int64())
    before = pa.concat_arrays([pa.array([-1], pa.int64()), pc.cumulative_max(local).slice(0, max(len(local) - 1, 0))])
    first_in_chunk = pc.greater(local, before.slice(0, len(local)))
    first_positions = pc.indices_nonzero(first_in_chunk)  # position j: the first row of local key j
    is_new = pc.greater_equal(ordinals, pa.scalar(start, pa.int32()))
    first_rows = first_positions if new_local is None else first_positions.filter(new_local)
    return ChunkKeys(
        ordinals=ordinals,
        start=start,
        first_rows=first_rows,
        reference_rows=first_positions.take(local),
        is_new=is_new,
        is_first=pc.and_(first_in_chunk, is_new.fill_null(False)),
    )
