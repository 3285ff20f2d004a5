"""First pass over an import file: every rule checked on every row, every problem collected, nothing written.

Row rules run a whole column at a time in Arrow; Python sees each customer and account once (at its first
row) and only the rows that break a rule. That keeps a million-row file to seconds, not minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import InstrumentedAttribute

from telcocrm.customers import rules
from telcocrm.customers.rules import FIXED_NUMBER, MOBILE_NUMBER, is_valid_customer_code
from telcocrm.errors import InvalidInput
from telcocrm.imports.columns import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS, MAX_LENGTH
from telcocrm.imports.fastcheck import check_certificate, check_service_number
from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import Chunk
from telcocrm.imports.values import allowed, enum_value, parse_date
from telcocrm.models import Certificate, Customer, Subscriber
from telcocrm.models.enums import (
    AccountType,
    CertificateType,
    CustomerKind,
    OwnershipType,
    PaymentMethod,
    Product,
    RelationType,
    SubscriberStatus,
)

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
REQUIRED = "必填 / required"
NOT_A_DATE = "日期应为 YYYY-MM-DD / not a date in YYYY-MM-DD form"
LOOKUP_BATCH = 2000  # values per IN (…) look-up: well under SQLite's and PostgreSQL's parameter limits
SEPARATOR = "\x1f"  # joins a row's customer (or account) columns into one comparable value

ROW_REQUIRED = (
    "customer_ref",
    "account_ref",
    "subscriber_id",
    "product",
    "service_number",
    "activated_date",
    "channel_code",
)
ROW_VOCABULARIES: tuple[tuple[str, type[StrEnum]], ...] = (
    ("product", Product),
    ("ownership_type", OwnershipType),
    ("subscriber_status", SubscriberStatus),
    ("relation_type", RelationType),
)
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
FIXED_PLACE = pa.array([p.value for p in Product if p is not Product.MOBILE])
_CERT_FIELDS = {"certificate.type": "cert_type", "certificate.number": "cert_number"}
_GROUP_ZH = {"customer": "客户", "account": "账户"}

RelationKey = tuple[str, str, RelationType]
Reason = str | Callable[[str], str]


@dataclass
class FileSummary:
    """What a valid file holds, as the write pass needs it."""

    rows: int = 0
    customers: int = 0
    accounts: int = 0
    relations: list[RelationKey] = field(default_factory=list)
    customers_without_code: int = 0
    highest_given_serial: int = 0


@dataclass
class _Lookups:
    """Values of one chunk to look up in the database, each with the line it came from."""

    certificates: list[tuple[CertificateType, str, int]] = field(default_factory=list)
    subscriber_ids: list[tuple[str, int]] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)


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
        self.empty_tables = self._empty_tables()

    def check_chunk(self, chunk: Chunk) -> None:
        """Check every row of a chunk and look its identifiers up in the database."""
        lookups = _Lookups()
        self._row_rules(chunk)
        self._customers(chunk, lookups)
        self._accounts(chunk)
        self._subscriber_ids(chunk, lookups)
        self._relations(chunk)
        self.rows += len(chunk)
        self._check_database(lookups)

    def _flag(self, chunk: Chunk, mask: pa.Array, name: str, reason: Reason) -> None:
        """A problem on every row where `mask` is true; `reason` may be worded from the row's value."""
        if not pc.any(mask).as_py():
            return
        indices = pc.indices_nonzero(mask.fill_null(False)).to_pylist()
        values = chunk.arrays[name].take(pa.array(indices, pa.int64())).to_pylist() if callable(reason) else []
        for n, index in enumerate(indices):
            self.problems.add(chunk.lines[index], name, reason(values[n]) if callable(reason) else reason)

    # --- row rules, a column at a time ----------------------------------------------------------------------------
    def _row_rules(self, chunk: Chunk) -> None:
        arrays = chunk.arrays
        for name in ROW_REQUIRED:
            self._flag(chunk, pc.equal(arrays[name], ""), name, REQUIRED)
        for name, limit in MAX_LENGTH.items():
            self._flag(chunk, pc.greater(pc.utf8_length(arrays[name]), limit), name, _too_long(limit))
        for name, enum in ROW_VOCABULARIES:
            valid = pc.or_(pc.equal(arrays[name], ""), pc.is_in(arrays[name], pa.array([m.value for m in enum])))
            self._flag(chunk, pc.invert(valid), name, _not_one_of(enum))
        self._subscriber_dates(chunk)
        self._service_numbers(chunk)
        fixed_place = pc.is_in(arrays["product"], FIXED_PLACE)
        self._flag(
            chunk,
            pc.and_(fixed_place, pc.equal(arrays["install_address"], "")),
            "install_address",
            "固定地点的产品需要装机地址 / a fixed-location product needs an install address",
        )

    def _dates(self, chunk: Chunk, name: str) -> pa.Array:
        """The column as dates (null when empty or wrong); wrong ones are flagged. Parsed once per value."""
        array = chunk.arrays[name]
        distinct = pc.unique(array)
        parsed = [parse_date(text) if text else None for text in distinct.to_pylist()]
        wrong = [text for text, day in zip(distinct.to_pylist(), parsed, strict=True) if text and day is None]
        if wrong:
            self._flag(chunk, pc.is_in(array, pa.array(wrong)), name, NOT_A_DATE)
        return pa.array(parsed, pa.date32()).take(pc.index_in(array, value_set=distinct))

    def _subscriber_dates(self, chunk: Chunk) -> None:
        arrays = chunk.arrays
        activated = self._dates(chunk, "activated_date")
        terminated = self._dates(chunk, "terminated_date")
        contract_end = self._dates(chunk, "contract_end_date")
        is_terminated = pc.equal(arrays["subscriber_status"], SubscriberStatus.TERMINATED.value)
        has_date = pc.not_equal(arrays["terminated_date"], "")
        self._flag(
            chunk,
            pc.and_(is_terminated, pc.invert(has_date)),
            "terminated_date",
            "已拆机用户须填拆机日期 / a terminated subscriber needs its terminated_date",
        )
        self._flag(
            chunk,
            pc.and_(has_date, pc.invert(is_terminated)),
            "terminated_date",
            "仅拆机用户有拆机日期 / only a terminated subscriber has a terminated_date",
        )
        before = "早于开通日期 / before activated_date"
        self._flag(chunk, pc.less(terminated, activated), "terminated_date", before)
        self._flag(chunk, pc.less(contract_end, activated), "contract_end_date", before)

    def _service_numbers(self, chunk: Chunk) -> None:
        """The rules' own pattern per product in Arrow; rows it rejects get the rules' own message."""
        products, numbers = chunk.arrays["product"], chunk.arrays["service_number"]
        for product in Product:
            mask = pc.and_(pc.equal(products, product.value), pc.not_equal(numbers, ""))
            if not pc.any(mask).as_py():
                continue
            indices = pc.indices_nonzero(mask)
            matched = pc.match_substring_regex(numbers.take(indices), rules._SERVICE_NUMBER_RULES[product][0].pattern)
            for index in indices.filter(pc.invert(matched)).to_pylist():
                try:
                    check_service_number(product, chunk.column("service_number")[index])
                except InvalidInput as exc:
                    self.problems.add(chunk.lines[index], "service_number", exc.message)

    # --- customers ------------------------------------------------------------------------------------------------
    def _customers(self, chunk: Chunk, lookups: _Lookups) -> None:
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

    def _new_customer(self, line: int, ref: str, values: tuple[str, ...], lookups: _Lookups) -> CustomerKind | None:
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

    def _given_code(self, line: int, code: str, lookups: _Lookups) -> None:
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
        self, line: int, ref: str, kind: CustomerKind, cert_type: CertificateType, raw: str, lookups: _Lookups
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
            self.problems.add(line, name, _not_one_of(enum)(text))
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
    def _subscriber_ids(self, chunk: Chunk, lookups: _Lookups) -> None:
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

    # --- the database ---------------------------------------------------------------------------------------------
    def _empty_tables(self) -> set[str]:
        """Tables with no row at all: nothing in the file can clash with them, so they need no look-ups."""
        if self.conn is None:
            return {"certificate", "subscriber", "customer"}
        tables: list[Table] = [Certificate.__table__, Subscriber.__table__, Customer.__table__]  # type: ignore[list-item]
        return {t.name for t in tables if self.conn.execute(select(1).select_from(t).limit(1)).first() is None}

    def _check_database(self, lookups: _Lookups) -> None:
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


def _too_long(limit: int) -> str:
    return f"超过 {limit} 个字符 / longer than {limit} characters"


def _not_one_of(enum: type[StrEnum]) -> Callable[[str], str]:
    return lambda text: f"取值无效 / '{text}' is not one of: {allowed(enum)}"


def _batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
