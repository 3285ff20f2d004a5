"""Look-ups of a chunk's identifiers in the database: certificates held, subscriber ids and codes taken."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import InstrumentedAttribute

from telcocrm.imports.problems import ProblemLog
from telcocrm.models import Certificate, Customer, Subscriber
from telcocrm.models.enums import CertificateType

T = TypeVar("T")
LOOKUP_BATCH = 2000  # values per IN (…) look-up: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class Lookups:
    """Values of one chunk to look up in the database, each with the line it came from."""

    certificates: list[tuple[CertificateType, str, int]] = field(default_factory=list)
    subscriber_ids: list[tuple[str, int]] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)


class DatabaseChecks:
    """Finds the file's identifiers that the database already holds."""

    def __init__(self, conn: Connection | None, problems: ProblemLog) -> None:
        self.conn = conn
        self.problems = problems
        self.empty_tables = self._empty_tables()

    def _empty_tables(self) -> set[str]:
        """Tables with no row at all: nothing in the file can clash with them, so they need no look-ups."""
        if self.conn is None:
            return {"certificate", "subscriber", "customer"}
        tables: list[Table] = [Certificate.__table__, Subscriber.__table__, Customer.__table__]  # type: ignore[list-item]
        return {t.name for t in tables if self.conn.execute(select(1).select_from(t).limit(1)).first() is None}

    def check(self, lookups: Lookups) -> None:
        """Report every value of a chunk the database already holds."""
        if self.conn is None:
            return
        self._held_certificates(lookups.certificates)
        for sid, line in self._existing(Subscriber.subscriber_code, lookups.subscriber_ids):
            self.problems.add(line, "subscriber_id", f"用户 {sid} 已存在 / subscriber {sid} already exists")
        for code, line in self._existing(Customer.code, lookups.codes):
            self.problems.add(line, "customer_code", f"客户标识码 {code} 已存在 / customer code already exists")

    def _existing(self, column: InstrumentedAttribute[str], items: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
        assert self.conn is not None
        for batch in _batches(items, LOOKUP_BATCH):
            values = [value for value, _ in batch]
            found = set(self.conn.execute(select(column).where(column.in_(values))).scalars())
            yield from ((value, line) for value, line in batch if value in found)

    def _held_certificates(self, items: list[tuple[CertificateType, str, int]]) -> None:
        assert self.conn is not None
        for batch in _batches(items, LOOKUP_BATCH):
            query = (
                select(Certificate.cert_type, Certificate.cert_number, Customer.code)
                .join(Customer, Customer.id == Certificate.customer_id)
                .where(Certificate.active, Certificate.cert_number.in_({number for _, number, _ in batch}))
            )
            held = {(cert_type, number): code for cert_type, number, code in self.conn.execute(query)}
            for cert_type, number, line in batch:
                if (code := held.get((cert_type, number))) is not None:
                    self.problems.add(
                        line,
                        "cert_number",
                        f"证件已登记在客户 {code} 名下 / certificate already held by customer {code}",
                    )


def _batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
