"""First pass over an import file: every rule checked on every row, every problem collected, nothing written.

Rules run a whole column at a time in Arrow (row_rules.py, entities.py); a customer's and an account's own
columns are checked on their first row only, and every later row must repeat them exactly. Python meets each
distinct key of a chunk once (keys.py) and the rows that break a rule, to word their problem. What spans the
file (identifiers given twice, parents, relations) is checked at the end on compact Arrow columns.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from telcocrm.imports.columns import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS
from telcocrm.imports.entities import AccountChecks, CustomerChecks, duplicates, signature_hashes
from telcocrm.imports.keys import ChunkKeys, KeyIndex
from telcocrm.imports.lookups import DatabaseChecks, Lookups
from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import Chunk
from telcocrm.imports.row_rules import REQUIRED, check_rows
from telcocrm.imports.values import enum_value
from telcocrm.models.enums import AccountType, CustomerKind, RelationType

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
KIND_CODES: dict[str, int] = {CustomerKind.PERSON.value: 1, CustomerKind.ORGANISATION.value: 2}
KINDS_BY_CODE: dict[int, CustomerKind | None] = {0: None, 1: CustomerKind.PERSON, 2: CustomerKind.ORGANISATION}
_GROUP_ZH = {"customer": "客户", "account": "账户"}

RelationKey = tuple[int, str, RelationType]  # customer ordinal, related customer_ref, relation
Disagreement = tuple[int, str, str, int, tuple[str, ...]]  # line, group, ref, first line of the ref, values


@dataclass(frozen=True)
class ChunkPlan:
    """What the write pass needs of one chunk: the ordinals of its rows' customers and accounts."""

    customers: pa.Array  # int32 per row
    customer_start: int  # ordinal of the first customer the chunk introduces
    customer_rows: pa.Array  # the rows introducing a customer, in ordinal order
    accounts: pa.Array
    account_start: int
    account_rows: pa.Array

    @classmethod
    def of(cls, customers: ChunkKeys, accounts: ChunkKeys) -> ChunkPlan:
        """The plan of a chunk from its numbered keys."""
        return cls(
            customers.ordinals,
            customers.start,
            customers.first_rows,
            accounts.ordinals,
            accounts.start,
            accounts.first_rows,
        )


@dataclass
class FileSummary:
    """What a valid file holds, as the write pass needs it."""

    rows: int
    customers: int
    accounts: int
    chunks: list[ChunkPlan]
    account_parents: pa.Array  # int32 per account ordinal: the parent's ordinal, or null
    relations: pa.Table  # customer, related (ordinals), relation_type
    customers_without_code: int = 0
    highest_given_serial: int = 0
    empty_database: bool = False  # no customer yet (so no account, subscriber … either): a first load


class FileValidator:
    """Checks chunks of a file in order, then the rules that span the whole file."""

    def __init__(self, problems: ProblemLog, conn: Connection | None, today: date, *, keep_plans: bool = True) -> None:
        self.problems = problems
        self.keep_plans = keep_plans  # a second pass needs every chunk's plan; a single pass uses each at once
        self.conn = conn
        self.rows = 0
        self.database = DatabaseChecks(conn, problems)
        self.empty_tables = self.database.empty_tables
        self.customers = KeyIndex()
        self.accounts = KeyIndex()
        self.customer_checks = CustomerChecks(problems, today, self.empty_tables)
        self.account_checks = AccountChecks(problems)
        # Per customer (account) ordinal: first line, hash of its columns (to compare rows in later chunks) …
        self.customer_lines = array("i")
        self.customer_hashes = array("q")
        self.customer_kinds = array("b")  # KIND_CODES, 0 when not valid
        self.account_lines = array("i")
        self.account_hashes = array("q")
        self.account_owners = array("i")  # customer ordinal, -1 when the first row names none
        self.account_types: list[pa.Array] = []
        self.account_parent_refs: list[pa.Array] = []
        self.subscriber_ids: list[pa.Table] = []
        self.relations: dict[RelationKey, int] = {}
        self.disagreements: list[Disagreement] = []
        self.chunks: list[ChunkPlan] = []

    def check_chunk(self, chunk: Chunk) -> ChunkPlan:
        """Check every row of a chunk and look its identifiers up in the database; returns the chunk's plan."""
        lookups = Lookups()
        check_rows(chunk, self.problems)
        customers = self.customers.encode(chunk.arrays["customer_ref"])
        accounts = self.accounts.encode(chunk.arrays["account_ref"])
        self._customers(chunk, customers, lookups)
        self._accounts(chunk, accounts, customers)
        self._subscriber_ids(chunk, lookups)
        self._relations(chunk, customers)
        plan = ChunkPlan.of(customers, accounts)
        if self.keep_plans:
            self.chunks.append(plan)
        self.rows += len(chunk)
        self.database.check(lookups)
        return plan

    def chunk_parents(self, chunk: Chunk, plan: ChunkPlan) -> tuple[pa.Array, list[int]]:
        """For a single pass: the parents of the chunk's new accounts known so far (ordinals, null for none),
        and the accounts whose parent the file has not reached yet (linked once it has)."""
        refs = chunk.arrays["parent_account_ref"].take(plan.account_rows)
        given = pc.not_equal(refs, "")
        parents: list[int | None] = [None] * len(refs)
        pending: list[int] = []
        positions = pc.indices_nonzero(given).to_pylist()
        for position, ref in zip(positions, refs.filter(given).to_pylist(), strict=True):
            parent = self.accounts.get(ref)
            if parent is None:
                pending.append(plan.account_start + position)
            else:
                parents[position] = parent
        return pa.array(parents, pa.int32()), pending

    # --- customers and accounts -----------------------------------------------------------------------------------
    def _customers(self, chunk: Chunk, keys: ChunkKeys, lookups: Lookups) -> None:
        signatures = _signature(chunk, CUSTOMER_COLUMNS)
        self._new_disagreements(chunk, keys, signatures, "customer", None)
        for row, ordinal, hashed in _known_rows(keys, signatures):
            if hashed != self.customer_hashes[ordinal]:
                self._disagreement(chunk, row, "customer", self.customer_lines[ordinal])
        first = keys.first_rows
        self.customer_hashes.extend(signature_hashes(signatures.take(first)))
        self.customer_lines.extend(chunk.line_array.take(first).to_pylist())
        kinds = chunk.arrays["customer_kind"].take(first).to_pylist()
        self.customer_kinds.extend(KIND_CODES.get(kind, 0) for kind in kinds)
        self.customer_checks.check(chunk, keys, lookups)

    def _accounts(self, chunk: Chunk, keys: ChunkKeys, customers: ChunkKeys) -> None:
        owners = customers.ordinals
        # An account's rows must all belong to the customer of its first row (compared as ordinals).
        reference_owners = owners.take(keys.reference_rows)
        other_owner = pc.and_(keys.is_new, pc.not_equal(owners, reference_owners)).fill_null(False)
        for row in pc.indices_nonzero(other_owner).to_pylist():
            first = keys.reference_rows[row].as_py()
            self._other_owner(chunk.lines[row], chunk.column("customer_ref")[first], chunk.lines[first])
        signatures = _signature(chunk, ACCOUNT_COLUMNS)
        self._new_disagreements(chunk, keys, signatures, "account", other_owner)
        for row, ordinal, hashed in _known_rows(keys, signatures):
            owner, first_owner = owners[row].as_py(), self.account_owners[ordinal]
            if owner is not None and owner != first_owner:
                owner_ref = self.customers.name(first_owner) if first_owner >= 0 else ""
                self._other_owner(chunk.lines[row], owner_ref, self.account_lines[ordinal])
            elif hashed != self.account_hashes[ordinal]:
                self._disagreement(chunk, row, "account", self.account_lines[ordinal])
        first = keys.first_rows
        self.account_hashes.extend(signature_hashes(signatures.take(first)))
        self.account_lines.extend(chunk.line_array.take(first).to_pylist())
        self.account_owners.extend(owners.take(first).fill_null(-1).to_pylist())
        self.account_types.append(chunk.arrays["account_type"].take(first))
        self.account_parent_refs.append(chunk.arrays["parent_account_ref"].take(first))
        self.account_checks.check(chunk, keys)

    def _new_disagreements(
        self, chunk: Chunk, keys: ChunkKeys, signatures: pa.Array, group: str, skip: pa.Array | None
    ) -> None:
        """Rows of keys new in this chunk whose columns differ from the key's first row."""
        differs = pc.and_(pc.not_equal(signatures, signatures.take(keys.reference_rows)), keys.is_new)
        if skip is not None:
            differs = pc.and_(differs, pc.invert(skip))
        for row in pc.indices_nonzero(differs.fill_null(False)).to_pylist():
            self._disagreement(chunk, row, group, chunk.lines[keys.reference_rows[row].as_py()])

    def _disagreement(self, chunk: Chunk, row: int, group: str, first_line: int) -> None:
        names = CUSTOMER_COLUMNS if group == "customer" else ACCOUNT_COLUMNS
        ref = chunk.column(f"{group}_ref")[row]
        self.disagreements.append((chunk.lines[row], group, ref, first_line, chunk.rows([row], names)[0]))

    def _other_owner(self, line: int, owner_ref: str, first_line: int) -> None:
        self.problems.add(
            line,
            "account_ref",
            f"账户属于另一客户 / account already belongs to customer_ref {owner_ref} (line {first_line})",
        )

    # --- subscriber ids and relations ---------------------------------------------------------------------------
    def _subscriber_ids(self, chunk: Chunk, lookups: Lookups) -> None:
        ids = chunk.arrays["subscriber_id"]
        given = pa.table({"id": ids, "line": chunk.line_array}).filter(pc.not_equal(ids, ""))
        self.subscriber_ids.append(given)  # checked for repeats across the file at the end
        if "subscriber" not in self.empty_tables:
            lookups.subscriber_ids.extend(zip(given["id"].to_pylist(), given["line"].to_pylist(), strict=True))

    def _relations(self, chunk: Chunk, customers: ChunkKeys) -> None:
        arrays = chunk.arrays
        given = pc.or_(pc.not_equal(arrays["related_customer_ref"], ""), pc.not_equal(arrays["relation_type"], ""))
        rows = pc.indices_nonzero(given).to_pylist()
        names = ("customer_ref", "related_customer_ref", "relation_type")
        ordinals = customers.ordinals.take(pa.array(rows, pa.int64())).to_pylist()
        for row, ordinal, (ref, related, relation_text) in zip(rows, ordinals, chunk.rows(rows, names), strict=True):
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
            elif (relation := enum_value(RelationType, relation_text)) is not None and ordinal is not None:
                self.relations.setdefault((ordinal, related, relation), line)

    # --- the whole file -------------------------------------------------------------------------------------------
    def finish(self) -> FileSummary:
        """Check what spans the file (repeated identifiers, parents, relations) and sum it up."""
        self._check_subscriber_ids()
        self.customer_checks.finish(self.customers)
        parents = self._check_parents()
        relations = self._check_relations()
        if self.rows == 0:
            self.problems.add(0, "", "文件没有数据行 / the file has no data rows")
        return FileSummary(
            rows=self.rows,
            customers=len(self.customers),
            accounts=len(self.accounts),
            chunks=self.chunks,
            account_parents=parents,
            relations=relations,
            customers_without_code=len(self.customers) - self.customer_checks.given_codes,
            highest_given_serial=self.customer_checks.highest_serial,
            empty_database=self.conn is not None and "customer" in self.empty_tables,
        )

    def _check_subscriber_ids(self) -> None:
        ids = pa.concat_tables(self.subscriber_ids) if self.subscriber_ids else pa.table({"id": [], "line": []})
        self.subscriber_ids = []
        for _, line, (first, _) in duplicates(ids, ["id"]):
            self.problems.add(line, "subscriber_id", f"用户标识在文件中重复 / subscriber_id also on line {first}")

    def _check_parents(self) -> pa.Array:
        """Each account's parent (ordinal, or null): required for secondary and sub accounts, of the right type."""
        types = pa.concat_arrays(self.account_types) if self.account_types else pa.array([], pa.string())
        refs = pa.concat_arrays(self.account_parent_refs) if self.account_parent_refs else pa.array([], pa.string())
        self.account_types, self.account_parent_refs = [], []
        parents: list[int | None] = [None] * len(types)
        rows = pc.indices_nonzero(pc.or_(pc.not_equal(refs, ""), _needs_parent(types)))
        given = refs.take(rows).to_pylist()
        found = [self.accounts.get(ref) if ref else None for ref in given]
        found_types = types.take(pa.array(found, pa.int64())).to_pylist()
        for ordinal, type_text, ref, parent, parent_type in zip(
            rows.to_pylist(), types.take(rows).to_pylist(), given, found, found_types, strict=True
        ):
            account_type = enum_value(AccountType, type_text)
            if account_type is not None:
                parents[ordinal] = self._parent(self.account_lines[ordinal], account_type, ref, parent, parent_type)
        return pa.array(parents, pa.int32())

    def _parent(
        self, line: int, account_type: AccountType, ref: str, parent: int | None, parent_type: str | None
    ) -> int | None:
        add = self.problems.add
        wanted = PARENT_TYPE.get(account_type)
        if wanted is None:
            add(line, "parent_account_ref", f"{account_type} 账户不能有上级账户 / has no parent account")
            return None
        if parent is None:
            what = "不在本文件中 / is not an account_ref of this file" if ref else REQUIRED
            add(line, "parent_account_ref", f"{what}: a {account_type} account needs a {wanted} parent")
            return None
        if parent_type != wanted.value:
            add(line, "parent_account_ref", f"上级账户须为 {wanted} / the parent must be a {wanted} account")
        return parent

    def _check_relations(self) -> pa.Table:
        """Relations whose other customer is in the file and whose kinds fit; the others become problems."""
        mine: list[int] = []
        theirs: list[int] = []
        types: list[str] = []
        for (ordinal, related, relation), line in self.relations.items():
            other = self.customers.get(related)
            if other is None:
                self.problems.add(
                    line, "related_customer_ref", "不在本文件中 / no customer with this customer_ref in the file"
                )
            elif self._kinds_fit(line, relation, ordinal, other):
                mine.append(ordinal)
                theirs.append(other)
                types.append(relation.value)
        return pa.table({
            "customer": pa.array(mine, pa.int32()),
            "related": pa.array(theirs, pa.int32()),
            "relation_type": pa.array(types, pa.string()),
        })  # fmt: skip

    def _kinds_fit(self, line: int, relation: RelationType, ordinal: int, other: int) -> bool:
        own_kind, other_kind = RELATION_KINDS[relation]
        mine, theirs = KINDS_BY_CODE[self.customer_kinds[ordinal]], KINDS_BY_CODE[self.customer_kinds[other]]
        if (own_kind and mine not in (own_kind, None)) or (other_kind and theirs not in (other_kind, None)):
            self.problems.add(
                line,
                "relation_type",
                f"{relation} 关系应从 {own_kind or '任意'} 指向 {other_kind or '任意'}"
                f" / a {relation} relation goes from a {own_kind or 'customer'} to a {other_kind or 'customer'}",
            )
            return False
        return True

    def explain_disagreements(self, chunks: Iterable[Chunk]) -> None:
        """Name the columns where a repeated customer or account differs from its first row (a second read)."""
        if not self.disagreements:
            return
        found = _rows_at(chunks, {first: group for _, group, _, first, _ in self.disagreements})
        for line, group, ref, first, values in self.disagreements:
            names = CUSTOMER_COLUMNS if group == "customer" else ACCOUNT_COLUMNS
            for name, mine, theirs in zip(names, values, found.get(first, values), strict=True):
                if mine != theirs:
                    zh = f"与第 {first} 行同一{_GROUP_ZH[group]}不一致"
                    self.problems.add(line, name, f"{zh} / differs from line {first} (same {group}_ref {ref})")


def _needs_parent(types: pa.Array) -> pa.Array:
    return pc.is_in(types, value_set=pa.array([t.value for t in PARENT_TYPE]))


def _signature(chunk: Chunk, names: tuple[str, ...]) -> pa.Array:
    """Each row's values of some columns joined into one string: equal rows have equal signatures."""
    return pc.binary_join_element_wise(*(chunk.arrays[name] for name in names), SEPARATOR)


def _known_rows(keys: ChunkKeys, signatures: pa.Array) -> Iterable[tuple[int, int, int]]:
    """Rows whose key a previous chunk introduced (few: a file keeps a key's rows together), with hashes."""
    rows = pc.indices_nonzero(pc.invert(keys.is_new).fill_null(False))
    if not len(rows):
        return []
    ordinals = keys.ordinals.take(rows).to_pylist()
    return zip(rows.to_pylist(), ordinals, signature_hashes(signatures.take(rows)), strict=True)


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
