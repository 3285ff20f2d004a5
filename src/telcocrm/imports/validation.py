"""First pass over an import file: every rule checked on every row, every problem collected, nothing written.

Row rules run a whole column at a time in Arrow (row_rules.py); here Python sees each customer and account
once, at its first row, plus the rows that break a rule. That keeps a million-row file to seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from telcocrm.customers.rules import FIXED_NUMBER, MOBILE_NUMBER, is_valid_customer_code
from telcocrm.errors import InvalidInput
from telcocrm.imports.columns import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS
from telcocrm.imports.fastcheck import check_certificate
from telcocrm.imports.lookups import DatabaseChecks, Lookups
from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import Chunk
from telcocrm.imports.row_rules import NOT_A_DATE, REQUIRED, check_rows, not_one_of
from telcocrm.imports.values import enum_value, parse_date
from telcocrm.models.enums import AccountType, CertificateType, CustomerKind, PaymentMethod, RelationType

E = TypeVar("E", bound=StrEnum)
SEPARATOR = "\x1f"  # joins a row's customer (or account) columns into one comparable value

PARENT_TYPE: dict[AccountType, AccountType] = {
    AccountType.FAMILY_SECONDARY: AccountType.FAMILY_PRIMARY,
    AccountType.GROUP_SUB: AccountType.GROUP_MASTER,
}
# Which kind of customer may stand on each side of a relation (None: either kind).
RELATION_KINDS: dict[RelationType, tuple[CustomerKind | None, CustomerKind | None]] = {
    RelationType.PARENT_ORGANISATION: (CustomerKind.ORGANISATION, CustomerKind.ORGANISATION),
    RelationType.FAMILY_MEMBER: (CustomerKind.PERSON, CustomerKind.PERSON),
    RelationType.DECISION_MAKER: (CustomerKind.ORGANISATION, CustomerKind.PERSON),
    RelationType.HANDLER: (CustomerKind.ORGANISATION, CustomerKind.PERSON),
    RelationType.GUARANTOR: (None, None),
}
_CERT_FIELDS = {"certificate.type": "cert_type", "certificate.number": "cert_number"}
_GROUP_ZH = {"customer": "客户", "account": "账户"}

RelationKey = tuple[str, str, RelationType]


@dataclass
class FileSummary:
    """What a valid file holds, as the write pass needs it."""

    rows: int = 0
    customers: int = 0
    accounts: int = 0
    relations: list[RelationKey] = field(default_factory=list)
    customers_without_code: int = 0
    highest_given_serial: int = 0
    empty_database: bool = False  # no customer yet (so no account, subscriber … either): a first load


class FileValidator:
    """Checks chunks of a file in order, then the rules that span the whole file."""

    def __init__(self, problems: ProblemLog, conn: Connection | None, today: date) -> None:
        self.problems = problems
        self.conn = conn
        self.today = today
        self.rows = 0
        # customer_ref -> (first line, kind, hash of its columns); account_ref -> (line, customer_ref, type,
        # parent_ref, hash). Hashes, not values: a million customers' columns would not fit comfortably.
        self.customers: dict[str, tuple[int, CustomerKind | None, int]] = {}
        self.accounts: dict[str, tuple[int, str, AccountType | None, str, int]] = {}
        self.certificates: dict[CertificateType, dict[str, str]] = defaultdict(dict)
        self.codes: set[str] = set()
        self.highest_serial = 0
        self.subscriber_ids: dict[str, int] = {}
        self.relations: dict[RelationKey, int] = {}
        self.disagreements: list[tuple[int, str, str, tuple[str, ...]]] = []  # line, group, ref, values
        self.database = DatabaseChecks(conn, problems)
        self.empty_tables = self.database.empty_tables

    def check_chunk(self, chunk: Chunk) -> None:
        """Check every row of a chunk and look its identifiers up in the database."""
        lookups = Lookups()
        check_rows(chunk, self.problems)
        self._customers(chunk, lookups)
        self._accounts(chunk)
        self._subscriber_ids(chunk, lookups)
        self._relations(chunk)
        self.rows += len(chunk)
        self.database.check(lookups)

    # --- customers ------------------------------------------------------------------------------------------------
    def _customers(self, chunk: Chunk, lookups: Lookups) -> None:
        refs, signatures = chunk.arrays["customer_ref"], _signature(chunk, CUSTOMER_COLUMNS)
        new: list[tuple[str, int, int]] = []  # ref, row, hash
        for ref, row, signature, distinct in _groups(refs, signatures):
            seen = self.customers.get(ref)
            if seen is None:
                new.append((ref, row, hash(signature)))
            elif seen[2] != hash(signature):
                self.disagreements.append((chunk.lines[row], "customer", ref, chunk.rows([row], CUSTOMER_COLUMNS)[0]))
            if distinct > 1:
                self._customer_rows_disagreeing(chunk, ref, signatures, signature)
        values = chunk.rows([row for _, row, _ in new], CUSTOMER_COLUMNS)
        for (ref, row, signature_hash), customer in zip(new, values, strict=True):
            kind = self._new_customer(chunk.lines[row], ref, customer, lookups)
            self.customers[ref] = (chunk.lines[row], kind, signature_hash)

    def _customer_rows_disagreeing(self, chunk: Chunk, ref: str, signatures: pa.Array, first: str) -> None:
        refs = chunk.arrays["customer_ref"]
        rows = pc.indices_nonzero(pc.and_(pc.equal(refs, ref), pc.not_equal(signatures, first))).to_pylist()
        for row, values in zip(rows, chunk.rows(rows, CUSTOMER_COLUMNS), strict=True):
            self.disagreements.append((chunk.lines[row], "customer", ref, values))

    def _new_customer(self, line: int, ref: str, values: tuple[str, ...], lookups: Lookups) -> CustomerKind | None:
        code, kind_text, name, joined, cert_type_text, cert_number, _, phone, _, _, _ = values
        add = self.problems.add
        kind = self._enum(line, "customer_kind", CustomerKind, kind_text)
        if not name:
            add(line, "customer_name", REQUIRED)
        if not joined:
            add(line, "joined_date", REQUIRED)
        elif parse_date(joined) is None:
            add(line, "joined_date", NOT_A_DATE)
        if code:
            self._given_code(line, code, lookups)
        cert_type = self._enum(line, "cert_type", CertificateType, cert_type_text)
        if not cert_number:
            add(line, "cert_number", REQUIRED)
        elif cert_type is not None and kind is not None:
            self._certificate(line, ref, kind, cert_type, cert_number, lookups)
        if phone and not (MOBILE_NUMBER.match(phone) or FIXED_NUMBER.match(phone)):
            add(line, "contact_phone", "不是手机或固定电话号码 / not a mobile or fixed telephone number")
        return kind

    def _given_code(self, line: int, code: str, lookups: Lookups) -> None:
        if not is_valid_customer_code(code):
            self.problems.add(
                line, "customer_code", "客户标识码无效 / not a valid customer code (12 digits, check digit)"
            )
        elif code in self.codes:
            self.problems.add(line, "customer_code", "客户标识码在文件中重复 / customer code given to two customers")
        else:
            self.codes.add(code)
            self.highest_serial = max(self.highest_serial, int(code[:-1]))
            lookups.codes.append((code, line))

    def _certificate(
        self, line: int, ref: str, kind: CustomerKind, cert_type: CertificateType, raw: str, lookups: Lookups
    ) -> None:
        try:
            number = check_certificate(kind, cert_type, raw, self.today)
        except InvalidInput as exc:
            self.problems.add(line, _CERT_FIELDS.get(exc.field or "", "cert_number"), exc.message)
            return
        holder = self.certificates[cert_type].setdefault(number, ref)
        if holder != ref:
            first = self.customers[holder][0] if holder in self.customers else line
            self.problems.add(
                line,
                "cert_number",
                f"证件号码已用于另一客户 / certificate already given for customer_ref {holder} (line {first})",
            )
        elif "certificate" not in self.empty_tables:
            lookups.certificates.append((cert_type, number, line))

    def _enum(self, line: int, name: str, enum: type[E], text: str) -> E | None:
        if not text:
            self.problems.add(line, name, REQUIRED)
            return None
        value = enum_value(enum, text)
        if value is None:
            self.problems.add(line, name, not_one_of(enum)(text))
        return value

    # --- accounts -------------------------------------------------------------------------------------------------
    def _accounts(self, chunk: Chunk) -> None:
        # The owner is part of the signature: an account's rows must all name the same customer too.
        refs, signatures = chunk.arrays["account_ref"], _signature(chunk, ("customer_ref", *ACCOUNT_COLUMNS))
        groups = list(_groups(refs, signatures))
        values = chunk.rows([row for _, row, _, _ in groups], ("customer_ref", *ACCOUNT_COLUMNS))
        for (ref, row, signature, distinct), (owner, *account) in zip(groups, values, strict=True):
            line, seen = chunk.lines[row], self.accounts.get(ref)
            if seen is None:
                account_type = self._new_account(line, tuple(account))
                self.accounts[ref] = (line, owner, account_type, account[2], hash(signature))
            elif seen[1] != owner:
                self._other_owner(line, seen)
            elif seen[4] != hash(signature):
                self.disagreements.append((line, "account", ref, tuple(account)))
            if distinct > 1:
                self._account_rows_disagreeing(chunk, ref, signature)

    def _account_rows_disagreeing(self, chunk: Chunk, ref: str, first: str) -> None:
        refs, signatures = chunk.arrays["account_ref"], _signature(chunk, ("customer_ref", *ACCOUNT_COLUMNS))
        rows = pc.indices_nonzero(pc.and_(pc.equal(refs, ref), pc.not_equal(signatures, first))).to_pylist()
        seen = self.accounts[ref]
        for row, (owner, *account) in zip(rows, chunk.rows(rows, ("customer_ref", *ACCOUNT_COLUMNS)), strict=True):
            if owner != seen[1]:
                self._other_owner(chunk.lines[row], seen)
            else:
                self.disagreements.append((chunk.lines[row], "account", ref, tuple(account)))

    def _other_owner(self, line: int, seen: tuple[int, str, AccountType | None, str, int]) -> None:
        self.problems.add(
            line,
            "account_ref",
            f"账户属于另一客户 / account already belongs to customer_ref {seen[1]} (line {seen[0]})",
        )

    def _new_account(self, line: int, values: tuple[str, ...]) -> AccountType | None:
        type_text, name, _, payment_text = values
        account_type = self._enum(line, "account_type", AccountType, type_text)
        if not name:
            self.problems.add(line, "account_name", REQUIRED)
        self._enum(line, "payment_method", PaymentMethod, payment_text)
        return account_type

    # --- subscriber ids and relations ---------------------------------------------------------------------------
    def _subscriber_ids(self, chunk: Chunk, lookups: Lookups) -> None:
        ids, lines, known = chunk.column("subscriber_id"), chunk.lines, self.subscriber_ids
        distinct = set(ids)
        if len(distinct) == len(ids) and "" not in distinct and known.keys().isdisjoint(distinct):
            known.update(zip(ids, lines, strict=True))  # the usual case: no duplicate, one C-speed update
            if "subscriber" not in self.empty_tables:
                lookups.subscriber_ids.extend(zip(ids, lines, strict=True))
            return
        for sid, line in zip(ids, lines, strict=True):
            if not sid:
                continue
            first = known.setdefault(sid, line)
            if first != line:
                self.problems.add(line, "subscriber_id", f"用户标识在文件中重复 / subscriber_id also on line {first}")
            elif "subscriber" not in self.empty_tables:
                lookups.subscriber_ids.append((sid, line))

    def _relations(self, chunk: Chunk) -> None:
        arrays = chunk.arrays
        given = pc.or_(pc.not_equal(arrays["related_customer_ref"], ""), pc.not_equal(arrays["relation_type"], ""))
        rows = pc.indices_nonzero(given).to_pylist()
        names = ("customer_ref", "related_customer_ref", "relation_type")
        for row, (ref, related, relation_text) in zip(rows, chunk.rows(rows, names), strict=True):
            line = chunk.lines[row]
            if not related or not relation_text:
                missing = "related_customer_ref" if not related else "relation_type"
                self.problems.add(
                    line, missing, "关系须成对填写 / give related_customer_ref and relation_type together"
                )
            elif related == ref:
                self.problems.add(
                    line, "related_customer_ref", "客户不能与自己关联 / a customer cannot relate to itself"
                )
            elif (relation := enum_value(RelationType, relation_text)) is not None and ref:
                self.relations.setdefault((ref, related, relation), line)

    # --- the whole file -------------------------------------------------------------------------------------------
    def finish(self) -> FileSummary:
        """Check what spans the file (parents, relations) and sum it up."""
        self._check_parents()
        self._check_relations()
        if self.rows == 0:
            self.problems.add(0, "", "文件没有数据行 / the file has no data rows")
        return FileSummary(
            rows=self.rows,
            customers=len(self.customers),
            accounts=len(self.accounts),
            relations=list(self.relations),
            customers_without_code=len(self.customers) - len(self.codes),
            highest_given_serial=self.highest_serial,
            empty_database=self.conn is not None and "customer" in self.empty_tables,
        )

    def _check_parents(self) -> None:
        add = self.problems.add
        for line, _, account_type, parent_ref, _ in self.accounts.values():
            if account_type is None:
                continue
            wanted = PARENT_TYPE.get(account_type)
            if wanted is None:
                if parent_ref:
                    add(line, "parent_account_ref", f"{account_type} 账户不能有上级账户 / has no parent account")
                continue
            parent = self.accounts.get(parent_ref) if parent_ref else None
            if parent is None:
                what = "不在本文件中 / is not an account_ref of this file" if parent_ref else REQUIRED
                add(line, "parent_account_ref", f"{what}: a {account_type} account needs a {wanted} parent")
            elif parent[2] is not wanted:
                add(line, "parent_account_ref", f"上级账户须为 {wanted} / the parent must be a {wanted} account")

    def _check_relations(self) -> None:
        for (ref, related, relation), line in self.relations.items():
            other = self.customers.get(related)
            if other is None:
                self.problems.add(
                    line, "related_customer_ref", "不在本文件中 / no customer with this customer_ref in the file"
                )
                continue
            own_kind, other_kind = RELATION_KINDS[relation]
            mine = self.customers[ref][1] if ref in self.customers else None
            if (own_kind and mine not in (own_kind, None)) or (other_kind and other[1] not in (other_kind, None)):
                self.problems.add(
                    line,
                    "relation_type",
                    f"{relation} 关系应从 {own_kind or '任意'} 指向 {other_kind or '任意'}"
                    f" / a {relation} relation goes from a {own_kind or 'customer'} to a {other_kind or 'customer'}",
                )

    def explain_disagreements(self, chunks: Iterable[Chunk]) -> None:
        """Name the columns where a repeated customer or account differs from its first row (a second read)."""
        if not self.disagreements:
            return
        firsts = {self._first_line(group, ref): group for _, group, ref, _ in self.disagreements}
        found = _rows_at(chunks, firsts)
        for line, group, ref, values in self.disagreements:
            first = self._first_line(group, ref)
            names = CUSTOMER_COLUMNS if group == "customer" else ACCOUNT_COLUMNS
            for name, mine, theirs in zip(names, values, found.get(first, values), strict=True):
                if mine != theirs:
                    zh = f"与第 {first} 行同一{_GROUP_ZH[group]}不一致"
                    self.problems.add(line, name, f"{zh} / differs from line {first} (same {group}_ref {ref})")

    def _first_line(self, group: str, ref: str) -> int:
        return self.customers[ref][0] if group == "customer" else self.accounts[ref][0]


def _signature(chunk: Chunk, names: tuple[str, ...]) -> pa.Array:
    """Each row's values of some columns joined into one string: equal rows have equal signatures."""
    return pc.binary_join_element_wise(*(chunk.arrays[name] for name in names), SEPARATOR)


def _groups(refs: pa.Array, signatures: pa.Array) -> Iterator[tuple[str, int, str, int]]:
    """Per distinct non-empty ref of a chunk: the ref, its first row, that row's signature, distinct signatures."""
    table = pa.table({"ref": refs, "signature": signatures, "row": pa.array(range(len(refs)), pa.int64())})
    grouped = table.group_by("ref", use_threads=False).aggregate([("signature", "count_distinct"), ("row", "min")])
    firsts = grouped["row_min"]
    first_signatures = signatures.take(firsts).to_pylist()
    for ref, row, signature, distinct in zip(
        grouped["ref"].to_pylist(),
        firsts.to_pylist(),
        first_signatures,
        grouped["signature_count_distinct"].to_pylist(),
        strict=True,
    ):
        if ref:
            yield ref, row, signature, distinct


def _rows_at(chunks: Iterable[Chunk], wanted: dict[int, str]) -> dict[int, tuple[str, ...]]:
    """The customer or account columns of the wanted lines."""
    found: dict[int, tuple[str, ...]] = {}
    for chunk in chunks:
        for index, line in enumerate(chunk.lines):
            group = wanted.get(line)
            if group is not None:
                names = CUSTOMER_COLUMNS if group == "customer" else ACCOUNT_COLUMNS
                found[line] = chunk.rows([index], names)[0]
    return found
