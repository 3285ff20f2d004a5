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
        local, distinct = encoded.indices, encoded.dictionary
        names = distinct.to_pylist()
        start = len(self.ordinals)
        met = self.ordinals.keys() & names  # usually none, or the key whose rows straddle the chunks' border
        if "" not in names and not met:
            # The usual chunk: keys not met before (a file lists a customer's rows together).
            self.ordinals.update(zip(names, range(start, start + len(names)), strict=True))
            return _chunk_keys(local, pc.add(local, pa.scalar(start, pa.int32())), start, None)
        mapping, fresh = self._number(distinct, met)
        return _chunk_keys(local, mapping.take(local), start, fresh)

    def _number(self, distinct: pa.Array, met: set[str]) -> tuple[pa.Array, pa.Array]:
        """Ordinals of a chunk's distinct keys, some met before or empty, and which of them are new.

        An empty key is a problem of its own (required): it groups nothing and gets no ordinal.
        """
        met_keys = pa.array(sorted(met), pa.string())
        fresh = pc.invert(pc.or_(pc.is_in(distinct, value_set=met_keys), pc.equal(distinct, "")))
        start = len(self.ordinals)
        new_keys = distinct.filter(fresh).to_pylist()
        self.ordinals.update(zip(new_keys, range(start, start + len(new_keys)), strict=True))
        following = pc.add(pc.cumulative_sum(fresh.cast(pa.int32())), pa.scalar(start - 1, pa.int32()))
        earlier = pa.array([self.ordinals[key] for key in met_keys.to_pylist()], pa.int32())
        known = earlier.take(pc.index_in(distinct, value_set=met_keys))  # null for new and empty keys
        return pc.if_else(fresh, following, known), fresh


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
