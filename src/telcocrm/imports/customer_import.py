"""Bulk import of customers with their certificates, accounts, subscribers and relations (data-contract.md).

Everything is written in one transaction: a file with any problem is refused whole and leaves the database
exactly as it was. Two ways through the file:

- into a database that already holds customers, two passes: the first checks every row (against the database
  too) and collects every problem; only a file without any is read again and written;
- into an empty database (a first load), one pass: each chunk is checked and, while the file is clean so far,
  written at once, so the database stores one chunk while the next is being checked. A problem anywhere stops
  the writing, the rest of the file is still checked for the full list, and the transaction is rolled back.

The check numbers every customer and account in order of first appearance; the writer turns those numbers
into ids reserved up front, so rows are written with their ids (COPY on PostgreSQL) and nothing is read back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from telcocrm.errors import Conflict
from telcocrm.imports.entities import highest_valid_serial
from telcocrm.imports.problems import ImportRefused, Problem, ProblemLog
from telcocrm.imports.reader import UnreadableFile, check_header, estimate_rows, header, read_chunks, rows_at_most
from telcocrm.imports.validation import FileSummary, FileValidator
from telcocrm.imports.writing import FileWriter, Reservation
from telcocrm.models import Customer

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote, and how long it took."""

    customers: int
    accounts: int
    subscribers: int
    relations: int
    seconds: float


@dataclass(frozen=True)
class _Written:
    customers: int
    accounts: int
    subscribers: int
    relations: int


def validate_customer_file(path: Path, *, engine: Engine | None = None) -> list[Problem]:
    """Every problem of the file (first 1000, by line); with an engine, also clashes with the database."""
    try:
        if engine is None:
            _validate(Path(path), None, None, 0, keep_plans=False)
        else:
            with engine.connect() as conn:
                _validate(Path(path), conn, None, 0, keep_plans=False)
    except ImportRefused as refused:
        return refused.problems
    return []


def import_customers(path: Path, *, engine: Engine, actor: str, progress: Progress | None = None) -> ImportReport:
    """Import a CSV or Parquet file whole, or refuse it whole with ImportRefused listing every problem."""
    started = time.perf_counter()
    path = Path(path)
    with Session(engine) as db, db.begin():
        try:
            if _first_load(db.connection()):
                written = _one_pass(db, path, actor, progress)
            else:
                written = _two_passes(db, path, actor, progress)
        except IntegrityError as exc:
            # The checks saw no clash; a concurrent change made one. Nothing is kept (the transaction rolls back).
            raise Conflict(
                f"导入期间数据库已变化，未写入任何数据 / the database changed during the import: {exc.orig}"
            ) from exc
    return ImportReport(
        customers=written.customers,
        accounts=written.accounts,
        subscribers=written.subscribers,
        relations=written.relations,
        seconds=time.perf_counter() - started,
    )


def _first_load(conn: Connection) -> bool:
    """No customer yet (so no account or subscriber either): nothing in the file can clash with the database."""
    return conn.execute(select(Customer.id).limit(1)).first() is None


def _two_passes(db: Session, path: Path, actor: str, progress: Progress | None) -> _Written:
    """Check the whole file, then read it again and write it."""
    total = 2 * _estimate(path)  # each row is checked once and written once
    summary = _validate(path, db.connection(), progress, total)
    writer = FileWriter(db, actor=actor, source=path.name)
    done = summary.rows
    with writer.loading(empty=summary.empty_database):
        writer.reserve(Reservation.exact(summary))
        chunks = read_chunks(path, _present(path), ProblemLog())
        for chunk, plan in zip(chunks, summary.chunks, strict=True):
            parents = summary.account_parents.slice(plan.account_start, len(plan.account_rows))
            writer.write_chunk(chunk, plan, parents, [])
            done += len(chunk)
            _report(progress, done, total)
        relations = writer.finish(summary.relations, summary.account_parents)
    _report(progress, 2 * summary.rows, 2 * summary.rows)
    return _Written(summary.customers, summary.accounts, writer.subscribers, relations)


def _one_pass(db: Session, path: Path, actor: str, progress: Progress | None) -> _Written:
    """Check and write each chunk in turn (an empty database); any problem refuses the file and rolls back."""
    problems = ProblemLog()
    total = _estimate(path)
    clash: IntegrityError | None = None
    try:
        present = _checked_header(path, problems)
        # No connection for the checks: with no customer (so no certificate or subscriber either) there is
        # nothing to look up, and the background writer owns the connection while chunks are checked.
        validator = FileValidator(problems, None, date.today(), keep_plans=False)
        writer = FileWriter(db, actor=actor, source=path.name)
        with writer.loading(empty=True):
            writer.reserve(Reservation.at_most(rows_at_most(path), _highest_given_serial(path, present)))
            for chunk in read_chunks(path, present, problems):
                plan = validator.check_chunk(chunk)
                if not problems and clash is None:  # after that, writing is wasted: it will be rolled back
                    try:
                        writer.write_chunk(chunk, plan, *validator.chunk_parents(chunk, plan))
                    except IntegrityError as exc:
                        # An identifier the file repeats, which the check names once it has seen the whole file
                        # (then the refusal says where), or else a concurrent change (then a Conflict).
                        clash = exc
                _report(progress, validator.rows, total)
            if not problems and clash is None:
                writer.chunks_written()
            summary = validator.finish()
            validator.explain_disagreements(read_chunks(path, present, ProblemLog()))
            if problems:
                raise problems.refusal()
            if clash is not None:
                raise clash
            relations = writer.finish(summary.relations, summary.account_parents)
    except UnreadableFile as exc:
        problems.add(0, "", str(exc))
        raise problems.refusal() from exc
    _report(progress, summary.rows, summary.rows)
    return _Written(summary.customers, summary.accounts, writer.subscribers, relations)


def _validate(
    path: Path, conn: Connection | None, progress: Progress | None, total: int, *, keep_plans: bool = True
) -> FileSummary:
    """The check pass; raises ImportRefused when anything is wrong."""
    problems = ProblemLog()
    try:
        present = _checked_header(path, problems)
        validator = FileValidator(problems, conn, date.today(), keep_plans=keep_plans)
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


def _checked_header(path: Path, problems: ProblemLog) -> list[str]:
    """The known columns of the file; with wrong columns the file is refused at once (row checks would be noise)."""
    present = check_header(header(path), problems)
    if problems:
        raise problems.refusal()
    return present


def _highest_given_serial(path: Path, present: list[str]) -> int:
    """The highest serial among the valid customer codes of the file (a read of that one column).

    A single pass issues fresh codes before it has seen the whole file; they must come after every code the
    file brings. Invalid codes are reported by the check itself.
    """
    if "customer_code" not in present:
        return 0
    chunks = read_chunks(path, ["customer_code"], ProblemLog())
    return max((highest_valid_serial(chunk.arrays["customer_code"]) for chunk in chunks), default=0)


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
