"""Bulk import of customers with their certificates, accounts, subscribers and relations (data-contract.md).

Two passes over the file: the first checks every row and collects every problem; only a file without any
is read again and written, in one transaction, so a refused file leaves the database exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from telcocrm.errors import Conflict
from telcocrm.imports.problems import ImportRefused, Problem, ProblemLog
from telcocrm.imports.reader import UnreadableFile, check_header, estimate_rows, header, read_chunks
from telcocrm.imports.validation import FileSummary, FileValidator
from telcocrm.imports.writing import FileWriter

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote, and how long it took."""

    customers: int
    accounts: int
    subscribers: int
    relations: int
    seconds: float


def validate_customer_file(path: Path, *, engine: Engine | None = None) -> list[Problem]:
    """Every problem of the file (first 1000, by line); with an engine, also clashes with the database."""
    try:
        if engine is None:
            _validate(Path(path), None, None, 0)
        else:
            with engine.connect() as conn:
                _validate(Path(path), conn, None, 0)
    except ImportRefused as refused:
        return refused.problems
    return []


def import_customers(path: Path, *, engine: Engine, actor: str, progress: Progress | None = None) -> ImportReport:
    """Import a CSV or Parquet file whole, or refuse it whole with ImportRefused listing every problem."""
    started = time.perf_counter()
    path = Path(path)
    total = 2 * _estimate(path)  # each row is checked once and written once
    with Session(engine) as db, db.begin():
        summary = _validate(path, db.connection(), progress, total)
        writer = FileWriter(db, summary, actor=actor, source=path.name)
        done = summary.rows
        try:
            with writer.loading(empty=summary.empty_database):
                for chunk in read_chunks(path, _present(path), ProblemLog()):
                    writer.write_chunk(chunk)
                    done += len(chunk)
                    _report(progress, done, total)
                relations = writer.finish(summary.relations)
        except IntegrityError as exc:
            # Validation saw no clash; a concurrent change made one. Nothing is kept (the transaction rolls back).
            raise Conflict(
                f"导入期间数据库已变化，未写入任何数据 / the database changed during the import: {exc.orig}"
            ) from exc
    _report(progress, 2 * summary.rows, 2 * summary.rows)
    return ImportReport(
        customers=summary.customers,
        accounts=summary.accounts,
        subscribers=writer.subscribers,
        relations=relations,
        seconds=time.perf_counter() - started,
    )


def _validate(path: Path, conn: Connection | None, progress: Progress | None, total: int) -> FileSummary:
    """The first pass; raises ImportRefused when anything is wrong."""
    problems = ProblemLog()
    try:
        present = check_header(header(path), problems)
        if problems:
            raise problems.refusal()  # with the wrong columns, row checks would only add noise
        validator = FileValidator(problems, conn, date.today())
        for chunk in read_chunks(path, present, problems):
            validator.check_chunk(chunk)
            _report(progress, validator.rows, total)
        summary = validator.finish()
        validator.explain_disagreements(read_chunks(path, present, ProblemLog()))
    except UnreadableFile as exc:
        problems.add(0, "", str(exc))
    if problems:
        raise problems.refusal()
    return summary


def _present(path: Path) -> list[str]:
    return check_header(header(path), ProblemLog())


def _estimate(path: Path) -> int:
    try:
        return estimate_rows(path)
    except (UnreadableFile, OSError):
        return 0


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, max(total, done))
