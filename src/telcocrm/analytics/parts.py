"""Hash parts of a table by a key column: a join too big for the engine's memory, done one part at a time.

A part keeps the rows whose key hashes to its index, so the rows of one customer are always in the same part and a
join on that key done part by part gives the rows of the whole join. The hash is the engine's own (DuckDB's and
Spark's differ), which only decides which part a row is done in, not what the rows are.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.types as ir


@dataclass(frozen=True)
class HashPart:
    """Part `index` of `count` (0 ≤ index < count); `HashPart(0, 1)` is the whole table."""

    index: int
    count: int

    def of(self, table: ir.Table, key: str) -> ir.Table:
        """The rows of the table in this part."""
        if self.count == 1:
            return table
        bucket = (table[key].hash() % self.count + self.count) % self.count  # Spark's hash may be negative
        return table.filter(bucket == self.index)


WHOLE = HashPart(0, 1)


def parts_for(rows: int, rows_per_part: int) -> list[HashPart]:
    """Enough parts for about `rows_per_part` rows each (one part for a small table)."""
    count = max(1, -(-rows // max(rows_per_part, 1)))
    return [HashPart(index, count) for index in range(count)]
