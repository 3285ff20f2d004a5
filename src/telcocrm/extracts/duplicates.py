"""Rows that repeat within a table: one bill and one usage row per subscriber and month, no event twice.

The identifying columns of every row (the whole stored row for events, top-ups and integrity records) and its
row number are kept while the table is read; Arrow's hash grouping then finds the repeats in one go.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.extracts.contract import Table
from telcocrm.imports.problems import ProblemLog

LINE = "__line"


class DuplicateFinder:
    """Collects the identifying columns of a table's rows and reports every row that repeats an earlier one."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.parts: list[pa.Table] = []

    def key_names(self, stored: pa.RecordBatch) -> list[str]:
        """The stored columns identifying a row."""
        if not self.table.key:
            return list(stored.schema.names)
        return [self.table.column(name).target for name in self.table.key]

    def add(self, stored: pa.RecordBatch, lines: pa.Array) -> None:
        """Remember the rows of one batch."""
        names = self.key_names(stored)
        part = pa.table([*(stored.column(n) for n in names), lines], names=[*names, LINE])
        if self.table.key:  # a row without its subscriber is reported as such, not as a repeat of another
            part = part.drop_null()
        self.parts.append(part)

    def report(self, problems: ProblemLog) -> None:
        """A problem on every row repeating an earlier one, naming the row it repeats."""
        if not self.parts:
            return
        rows = pa.concat_tables(self.parts)
        self.parts = []
        keys = [name for name in rows.column_names if name != LINE]
        counted = rows.group_by(keys, use_threads=False).aggregate([(LINE, "count")])
        if pc.max(counted[f"{LINE}_count"]).as_py() in (None, 1):
            return
        groups = rows.group_by(keys, use_threads=False).aggregate([(LINE, "list")])
        repeated = groups.filter(pc.greater(pc.list_value_length(groups[f"{LINE}_list"]), 1))
        for lines in repeated[f"{LINE}_list"].to_pylist():
            first, *later = sorted(lines)
            field, reason = self._problem(first)
            problems.add_count(len(later), later, field, reason)

    def _problem(self, first: int) -> tuple[str, str]:
        """The field and reason of a row repeating row `first`."""
        if self.table.key and self.table.repeated:
            return self.table.key[0], self.table.repeated.format(first=first)
        if self.table.key:
            return self.table.key[0], (
                f"同一用户同月已有一行（第 {first} 行）/ a second row for this subscriber and month;"
                f" the first is row {first}"
            )
        return "", f"整行重复（第 {first} 行）/ the same row twice; the first is row {first}"
