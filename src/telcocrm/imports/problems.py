"""What is wrong with an import file: one problem per (line, field, reason), and the refusal that lists them."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import NamedTuple

from telcocrm.errors import InvalidInput

MAX_KEPT = 1000  # a file wrong on every line would otherwise produce millions of problems


class Problem(NamedTuple):
    """One thing wrong: the line as the user sees it in the file (0 for the whole file), the column, why."""

    line: int
    field: str
    reason: str
    file: str = ""  # which file, when one input has several (a month of billing extracts); '' otherwise

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{self.file + ' ' if self.file else ''}{where}, {self.field or '-'}: {self.reason}"


class ImportRefused(InvalidInput):
    """The file was refused whole and nothing was written; `problems` says why, by line and column."""

    code = "IMPORT_REFUSED"

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field, p.reason))
        self.total = total if total is not None else len(problems)
        first = self.problems[0] if self.problems else Problem(0, "", "unknown")
        record = " ".join(part for part in (first.file, str(first.line) if first.line else "") if part)
        super().__init__(
            f"导入被拒绝，共 {self.total} 个问题，未写入任何数据 / import refused, nothing written:"
            f" {self.total} problem(s), first: {first}",
            field=first.field or None,
            record=record or None,
        )


class ProblemLog:
    """Collects problems, keeping the first MAX_KEPT and counting them all."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.total = 0
        self.file = ""  # stamped on the problems added while one file of several is read

    def add(self, line: int, field: str, reason: str) -> None:
        """Record one problem."""
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(Problem(line, field, reason, self.file))

    @property
    def room(self) -> int:
        """How many more problems would be kept."""
        return max(self.limit - len(self.kept), 0)

    def add_count(self, count: int, lines: Iterable[int], field: str, reason: str) -> None:
        """Record `count` problems of one kind at once; `lines` is read only as far as problems are kept."""
        self.total += count
        self.kept.extend(Problem(line, field, reason, self.file) for line in islice(lines, min(count, self.room)))

    def __bool__(self) -> bool:
        return self.total > 0

    def refusal(self) -> ImportRefused:
        """The refusal carrying what was collected."""
        return ImportRefused(self.kept, self.total)
