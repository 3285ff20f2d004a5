"""Second pass over a valid import file: customers, certificates, profiles, history, accounts, subscribers.

Every table is assembled column by column in Arrow. Ids are reserved up front and written explicitly: a
customer's id is the first reserved customer id plus the customer's ordinal in the file (keys.py), so each
subscriber row finds its customer's and account's ids by addition, and nothing is read back.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, time
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from telcocrm.config import get_settings
from telcocrm.customers import codes
from telcocrm.customers.rules import CUSTOMER_CODE_DIGITS, normalise_certificate_number
from telcocrm.db.types import utc_now
from telcocrm.imports.attributes import flag_values
from telcocrm.imports.checkdigits import customer_codes, serial_text
from telcocrm.imports.reader import Chunk
from telcocrm.imports.validation import ChunkPlan, FileSummary
from telcocrm.imports.values import parse_date
from telcocrm.imports.writers import writer_for
from telcocrm.models import (
    BillingAccount,
    Certificate,
    CodeCounter,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
    Subscriber,
)
from telcocrm.models.enums import CertificateType, CustomerStatus, HistoryAction, SubscriberStatus

PROFILE_COLUMNS = ("contact_phone", "province", "city", "contact_address", "organisation_category", "industry",
                   "decision_scope", "occupation", "income_band")  # fmt: skip
PROFILE_FLAGS = ("strategic", "home_business")  # `true` / `false`, empty: false
NULL_TEXT = pa.scalar(None, pa.string())
ACCOUNT_CODE_DIGITS = 11
# Characters a certificate number may hold and still be in normal form (no separators, upper case).
_NORMAL_CERTIFICATE = r"^[0-9A-Z]*$"
# What JSON must escape in a string (json.dumps with ensure_ascii=False): quotes, backslashes, control characters.
_JSON_SPECIALS = r'["\\\x00-\x1f]'


# Every table an import writes; the relations come last (FileWriter.finish), after every chunk.
LOADED_MODELS = (Customer, Certificate, CustomerProfile, CustomerHistory, BillingAccount, Subscriber, CustomerRelation)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass(frozen=True)
class Reservation:
    """How many ids and codes to reserve: exact after a check pass, an upper bound for a single pass."""

    customers: int
    accounts: int
    rows: int
    relations: int
    customers_without_code: int
    highest_given_serial: int

    @classmethod
    def exact(cls, summary: FileSummary) -> Reservation:
        """What a checked file needs."""
        return cls(
            customers=summary.customers,
            accounts=summary.accounts,
            rows=summary.rows,
            relations=summary.relations.num_rows,
            customers_without_code=summary.customers_without_code,
            highest_given_serial=summary.highest_given_serial,
        )

    @classmethod
    def at_most(cls, rows: int, highest_given_serial: int) -> Reservation:
        """Enough for a file of at most `rows` rows (each row may bring a customer and an account)."""
        return cls(rows, rows, rows, 0, rows, highest_given_serial)


class FileWriter:
    """Writes the chunks of a file in order, with ids and codes reserved for the whole file up front."""

    def __init__(self, db: Session, *, actor: str, source: str) -> None:
        self.db = db
        self.conn = db.connection()
        self.writer = writer_for(self.conn, binary=True)
        self.actor = actor
        self.note = f"导入 / imported from {source}"
        self.now = self.writer.timestamp(utc_now())
        self._stamps = {"created_at": self.now, "changed_at": self.now}
        self.zone = get_settings().zone
        self._midnight_cache: dict[str, str] = {}
        self.reserved: Reservation | None = None
        self.first_ids: dict[str, int] = {}
        self.fresh_codes = range(0)  # customer serials for customers without a code in the file
        self.account_serials = range(0)
        self.fresh_used = 0
        self.pending_parents: list[int] = []  # account ordinals whose parent is linked at the end
        self.customers = 0
        self.accounts = 0
        self.subscribers = 0

    def loading(self, *, empty: bool) -> AbstractContextManager[None]:
        """The span of the whole load (see BulkWriter.loading); `reserve` comes first inside it."""
        return self.writer.loading([_table(m) for m in LOADED_MODELS], empty=empty)

    def reserve(self, wanted: Reservation) -> None:
        """Reserve ids, then code serials (see BulkWriter.reserve_ids for why ids first)."""
        self.reserved = wanted
        self.first_ids = self.writer.reserve_ids({
            "customer": wanted.customers,
            "certificate": wanted.customers,
            "customer_history": wanted.customers,
            "billing_account": wanted.accounts,
            "subscriber": wanted.rows,
            "customer_relation": wanted.relations,
        })  # fmt: skip
        if wanted.highest_given_serial:
            codes.ensure_serial_above(self.db, codes.CUSTOMER, wanted.highest_given_serial)
        # Reserved after ensure_serial_above, so fresh codes come after every code the file brings.
        self.fresh_codes = codes.reserve_serials(self.db, codes.CUSTOMER, wanted.customers_without_code)
        self.account_serials = codes.reserve_serials(self.db, codes.ACCOUNT, wanted.accounts)

    def chunks_written(self) -> None:
        """Every chunk is written: only the relations are still to come (`finish`), so the writer may build the
        other tables' keys and indexes meanwhile (on a first load, while the file-wide checks run)."""
        self.writer.rows_complete([_table(m) for m in LOADED_MODELS if m is not CustomerRelation])

    def write_chunk(self, chunk: Chunk, plan: ChunkPlan, parents: pa.Array, pending: list[int]) -> None:
        """Write the customers and accounts first seen in this chunk, then its subscribers.

        `parents` are the parent ordinals of the chunk's new accounts known now (null: none, or not known yet);
        `pending` are those accounts whose parent comes later in the file, linked by `finish`.
        """
        if len(chunk) != len(plan.customers):
            raise RuntimeError("导入文件在校验后被修改 / the file changed after it was checked")
        self._customers(chunk, plan)
        self._accounts(chunk, plan, parents)
        self.pending_parents.extend(pending)
        self._subscribers(chunk, plan)

    def _ids(self, table: str, first_ordinal: int, count: int) -> pa.Array:
        return _id_range(self.first_ids[table] + first_ordinal, count)

    # --- customers --------------------------------------------------------------------------------------------
    def _customers(self, chunk: Chunk, plan: ChunkPlan) -> None:
        rows, count = plan.customer_rows, len(plan.customer_rows)
        self.customers += count
        if not count:
            return
        column = {name: chunk.arrays[name].take(rows) for name in _CUSTOMER_SOURCE}
        ids = self._ids("customer", plan.customer_start, count)
        customer_codes_ = self._codes(column["customer_code"])
        self.writer.insert(_table(Customer), pa.table({
            "id": ids,
            "code": customer_codes_,
            "kind": column["customer_kind"],
            "name": column["customer_name"],
            "joined_at": self._midnights(column["joined_date"]),
        }), {"status": CustomerStatus.ACTIVE.value, "failed_auth_count": 0, **self._stamps})  # fmt: skip
        self.writer.insert(_table(Certificate), pa.table({
            "id": self._ids("certificate", plan.customer_start, count),
            "customer_id": ids,
            "cert_type": column["cert_type"],
            "cert_number": _normal_numbers(column["cert_type"], column["cert_number"]),
            "cert_address": _nullify(column["cert_address"]),
        }), {"active": True, "created_at": self.now})  # fmt: skip
        self._profiles(ids, column)
        self.writer.insert(_table(CustomerHistory), pa.table({
            "id": self._ids("customer_history", plan.customer_start, count),
            "customer_id": ids,
            "customer_code": customer_codes_,
            "after": _snapshots(customer_codes_, column["customer_kind"], column["customer_name"]),
        }), {"action": HistoryAction.CREATE.value, "actor": self.actor, "at": self.now, "note": self.note})  # fmt: skip

    def _codes(self, given: pa.Array) -> pa.Array:
        """The codes given in the file, and fresh ones (in order) where none was given."""
        missing = pc.equal(given, "")
        wanted = pc.sum(missing).as_py() or 0
        if not wanted:
            return given
        if self.fresh_used + wanted > len(self.fresh_codes):
            raise RuntimeError("more customers without a code than reserved")
        first = self.fresh_codes.start + self.fresh_used
        self.fresh_used += wanted
        return pc.replace_with_mask(given, missing, customer_codes(first, wanted, CUSTOMER_CODE_DIGITS))

    def _midnights(self, days: pa.Array) -> pa.Array:
        """The start of each day in the operator's time zone, as the backend stores moments (once per day)."""
        distinct = pc.unique(days)
        moments = pa.array([self._midnight(day) for day in distinct.to_pylist()], pa.string())
        return moments.take(pc.index_in(days, value_set=distinct))

    def _midnight(self, day: str) -> str:
        moment = self._midnight_cache.get(day)
        if moment is None:
            parsed = parse_date(day)
            assert parsed is not None  # validated
            moment = self.writer.timestamp(datetime.combine(parsed, time(), tzinfo=self.zone))
            self._midnight_cache[day] = moment
        return moment

    def _profiles(self, ids: pa.Array, column: dict[str, pa.Array]) -> None:
        """A profile for each customer with any profile column given (a flag counts when true)."""
        flags = {name: flag_values(column[name]) for name in PROFILE_FLAGS}
        given = [pc.not_equal(column[name], "") for name in PROFILE_COLUMNS] + list(flags.values())
        some = reduce(pc.or_, given)
        texts = {name: _nullify(column[name]) for name in PROFILE_COLUMNS}
        data = pa.table({"customer_id": ids, **texts, **flags})
        constants = {"do_not_disturb": False, "source": "import", "changed_at": self.now}
        self.writer.insert(_table(CustomerProfile), data.filter(some), constants)

    # --- accounts ---------------------------------------------------------------------------------------------
    def _accounts(self, chunk: Chunk, plan: ChunkPlan, parents: pa.Array) -> None:
        rows, start, count = plan.account_rows, plan.account_start, len(plan.account_rows)
        self.accounts += count
        if not count:
            return
        owners = plan.customers.take(rows)
        serials = serial_text(self.account_serials.start + start, count, ACCOUNT_CODE_DIGITS)
        self.writer.insert(_table(BillingAccount), pa.table({
            "id": self._ids("billing_account", start, count),
            "account_code": pc.binary_join_element_wise("A", serials, ""),
            "customer_id": _offset(owners, self.first_ids["customer"]),
            "name": chunk.arrays["account_name"].take(rows),
            "account_type": chunk.arrays["account_type"].take(rows),
            "parent_account_id": _offset(self._parents(parents, start, count), self.first_ids["billing_account"]),
            "payment_method": chunk.arrays["payment_method"].take(rows),
        }), {"status": "active", **self._stamps})  # fmt: skip

    def _parents(self, parents: pa.Array, start: int, count: int) -> pa.Array:
        """The parents to write now: where each statement checks its keys (PostgreSQL outside a first load), a
        parent not written yet is left out and linked at the end."""
        if self.writer.keys_checked_at_end:
            return parents
        later = pc.greater_equal(parents, start + count).fill_null(False)
        if not pc.any(later).as_py():
            return parents
        self.pending_parents.extend(pc.add(pc.indices_nonzero(later), start).to_pylist())
        return pc.if_else(later, pa.scalar(None, pa.int32()), parents)

    # --- subscribers and relations ------------------------------------------------------------------------------
    def _subscribers(self, chunk: Chunk, plan: ChunkPlan) -> None:
        arrays, count = chunk.arrays, len(chunk)
        self.writer.insert(_table(Subscriber), pa.table({
            "id": self._ids("subscriber", self.subscribers, count),
            "subscriber_code": arrays["subscriber_id"],
            "customer_id": _offset(plan.customers, self.first_ids["customer"]),
            "account_id": _offset(plan.accounts, self.first_ids["billing_account"]),
            "product": arrays["product"],
            "service_number": _without_spaces(chunk),
            "install_address": _nullify(arrays["install_address"]),
            "ownership_type": _default(arrays["ownership_type"], "owned"),
            "status": _default(arrays["subscriber_status"], SubscriberStatus.ACTIVE.value),
            "activated_date": arrays["activated_date"],
            "terminated_date": _nullify(arrays["terminated_date"]),
            "contract_end_date": _nullify(arrays["contract_end_date"]),
            "channel_code": arrays["channel_code"],
            "staff_code": _nullify(arrays["staff_code"]),
            "brand": _nullify(arrays["brand"]),
        }), self._stamps)  # fmt: skip
        self.subscribers += count

    def finish(self, relations: pa.Table, parents: pa.Array) -> int:
        """Write the relations, wait for every row to land, link late parents, give back unused reservations.

        `parents` holds every account's parent ordinal (null: none); returns the relation count.
        """
        count: int = relations.num_rows
        assert self.reserved is not None
        if count > self.reserved.relations:  # a single pass learns the relations only now
            self.writer.flush()  # the reservation uses the connection the background writer was using
            self.first_ids |= self.writer.reserve_ids({"customer_relation": count})
        self.writer.insert(_table(CustomerRelation), pa.table({
            "id": self._ids("customer_relation", 0, count),
            "customer_id": _offset(relations["customer"].combine_chunks(), self.first_ids["customer"]),
            "related_customer_id": _offset(relations["related"].combine_chunks(), self.first_ids["customer"]),
            "relation_type": relations["relation_type"],
        }), {"created_at": self.now})  # fmt: skip
        self.writer.flush()
        self._link_parents(parents)
        self._give_back()
        return count

    def _link_parents(self, parents: pa.Array) -> None:
        if not self.pending_parents:
            return
        found = parents.take(pa.array(self.pending_parents, pa.int64())).to_pylist()
        first = self.first_ids["billing_account"]
        links = [
            {"account": first + a, "parent": first + p}
            for a, p in zip(self.pending_parents, found, strict=True)
            if p is not None
        ]
        if links:
            table = _table(BillingAccount)
            statement = update(table).where(table.c.id == bindparam("account"))
            self.conn.execute(statement.values(parent_account_id=bindparam("parent")), links)

    def _give_back(self) -> None:
        """Return what a single pass reserved beyond what the file used (its reservation was an upper bound)."""
        assert self.reserved is not None
        wanted = self.reserved
        used = {"customer": self.customers, "certificate": self.customers, "customer_history": self.customers,
                "billing_account": self.accounts, "subscriber": self.subscribers}  # fmt: skip
        held = {"customer": wanted.customers, "certificate": wanted.customers, "customer_history": wanted.customers,
                "billing_account": wanted.accounts, "subscriber": wanted.rows}  # fmt: skip
        self.writer.release_ids({
            name: (self.first_ids[name], held[name], used[name]) for name in used if used[name] < held[name]
        })  # fmt: skip
        _release_serials(self.db, codes.CUSTOMER, self.fresh_codes, self.fresh_used)
        _release_serials(self.db, codes.ACCOUNT, self.account_serials, self.accounts)


def _release_serials(db: Session, counter: str, reserved: range, used: int) -> None:
    """Move a code counter back to just past the serials used, if nothing moved it since the reservation.

    This transaction holds the counter's row since it reserved, so the serials given back were never issued.
    """
    if used < len(reserved):
        statement = update(CodeCounter).where(CodeCounter.name == counter, CodeCounter.next_value == reserved.stop)
        db.execute(statement.values(next_value=reserved.start + used))


_CUSTOMER_SOURCE = ("customer_code", "customer_kind", "customer_name", "joined_date", "cert_type", "cert_number",
                    "cert_address", *PROFILE_COLUMNS, *PROFILE_FLAGS)  # fmt: skip
_iota: pa.Array = pa.array([], pa.int64())


def _id_range(first: int, count: int) -> pa.Array:
    """first, first + 1, … (count of them), without a Python loop per id."""
    global _iota
    if len(_iota) < count:
        _iota = pa.array(range(max(count, 2 * len(_iota))), pa.int64())
    return pc.add(_iota.slice(0, count), first)


def _offset(ordinals: pa.Array, first: int) -> pa.Array:
    """Ids from ordinals (nulls stay null)."""
    return pc.add(ordinals.cast(pa.int64()), first)


def _no_text() -> pa.Array:
    return pa.array([], pa.string())


def _nullify(array: pa.Array) -> pa.Array:
    """Empty text becomes NULL."""
    return pc.if_else(pc.equal(array, ""), NULL_TEXT, array)


def _default(array: pa.Array, value: str) -> pa.Array:
    """Empty text becomes the documented default."""
    return pc.if_else(pc.equal(array, ""), value, array)


def _normal_numbers(types: pa.Array, numbers: pa.Array) -> pa.Array:
    """Certificate numbers in normal form: as given, unless a value holds other characters (cleaned in Python)."""
    odd = pc.invert(pc.match_substring_regex(numbers, _NORMAL_CERTIFICATE))
    if not pc.any(odd).as_py():
        return numbers
    pairs = zip(types.filter(odd).to_pylist(), numbers.filter(odd).to_pylist(), strict=True)
    cleaned = [normalise_certificate_number(CertificateType(t), n) for t, n in pairs]
    return pc.replace_with_mask(numbers, odd, pa.array(cleaned, pa.string()))


def _without_spaces(chunk: Chunk) -> pa.Array:
    """Service numbers in canonical form: as given, unless a value holds spaces (rare: cleaned in Python)."""
    numbers = chunk.arrays["service_number"]
    if not pc.any(pc.match_substring_regex(numbers, r"[\s\pZ\x{85}\x{1c}-\x{1f}\x{0b}]")).as_py():
        return numbers
    return pa.array(["".join(number.split()) for number in chunk.column("service_number")], pa.string())


def _snapshots(customer_codes_: pa.Array, kinds: pa.Array, names: pa.Array) -> pa.Array:
    """The history entries' `after`: the customer's core fields, as customers.service.snapshot writes them.

    Names needing no JSON escape (nearly all) are put in a template column-wise; the others go through json.dumps.
    """
    after = pc.binary_join_element_wise(
        '{"code": "', customer_codes_, '", "kind": "', kinds, '", "name": "', names,
        '", "status": "active", "merged_into_code": null}', "",
    )  # fmt: skip
    special = pc.match_substring_regex(names, _JSON_SPECIALS)
    if not pc.any(special).as_py():
        return after
    values = zip(*(a.filter(special).to_pylist() for a in (customer_codes_, kinds, names)), strict=True)
    dumped = [
        json.dumps(
            {"code": code, "kind": kind, "name": name, "status": "active", "merged_into_code": None}, ensure_ascii=False
        )
        for code, kind, name in values
    ]
    return pc.replace_with_mask(after, special, pa.array(dumped, pa.string()))
