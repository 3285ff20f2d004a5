"""Second pass over a valid import file: customers, certificates, profiles, history, accounts, subscribers.

Subscribers (one per row) are assembled column by column in Arrow; customers and accounts (one per
source key) in Python. Values go in as the validated text: see writers.py for why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime, time
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from telcocrm.config import get_settings
from telcocrm.customers import codes
from telcocrm.customers.rules import normalise_certificate_number
from telcocrm.db.types import utc_now
from telcocrm.imports.reader import Chunk
from telcocrm.imports.validation import FileSummary, RelationKey
from telcocrm.imports.values import enum_value, parse_date
from telcocrm.imports.writers import writer_for
from telcocrm.models import (
    BillingAccount,
    Certificate,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
    Subscriber,
)
from telcocrm.models.enums import CertificateType, CustomerStatus, HistoryAction, SubscriberStatus

CUSTOMER_SOURCE = ("customer_code", "customer_kind", "customer_name", "joined_date", "cert_type", "cert_number",
                   "cert_address", "contact_phone", "province", "city", "contact_address")  # fmt: skip
ACCOUNT_SOURCE = ("customer_ref", "account_name", "account_type", "parent_account_ref", "payment_method")
PROFILE_COLUMNS = ("contact_phone", "province", "city", "contact_address")
NULL_TEXT = pa.scalar(None, pa.string())


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


class FileWriter:
    """Writes the chunks of a validated file in order; ids of what is written are kept by source key."""

    def __init__(self, db: Session, summary: FileSummary, *, actor: str, source: str) -> None:
        self.conn = db.connection()
        self.writer = writer_for(self.conn)
        self.actor = actor
        self.note = f"导入 / imported from {source}"
        self.now = self.writer.timestamp(utc_now())
        self.zone = get_settings().zone
        self._midnights: dict[str, str] = {}
        if summary.highest_given_serial:
            codes.ensure_serial_above(db, codes.CUSTOMER, summary.highest_given_serial)
        # Reserved after ensure_serial_above, so fresh codes come after every code the file brings.
        self.new_codes: Iterator[str] = iter(codes.new_customer_codes(db, summary.customers_without_code))
        self.account_codes: Iterator[str] = iter(codes.new_account_codes(db, summary.accounts))
        self.customer_ids: dict[str, int] = {}
        self.account_ids: dict[str, int] = {}
        self.orphans: list[tuple[int, str]] = []  # (account id, parent ref) for parents further down the file
        self.subscribers = 0

    def loading(self, *, empty: bool) -> AbstractContextManager[None]:
        """The span of the whole load (see BulkWriter.loading)."""
        tables = [
            _table(m)
            for m in (
                Customer,
                Certificate,
                CustomerProfile,
                CustomerHistory,
                BillingAccount,
                Subscriber,
                CustomerRelation,
            )
        ]
        return self.writer.loading(tables, empty=empty)

    def write_chunk(self, chunk: Chunk) -> None:
        """Write the customers and accounts first seen in this chunk, then its subscribers."""
        self._customers(chunk)
        self._accounts(chunk)
        self._subscribers(chunk)

    def _constant(self, value: Any, count: int) -> pa.Array:
        return pa.repeat(value, count)

    # --- customers --------------------------------------------------------------------------------------------
    def _customers(self, chunk: Chunk) -> None:
        refs, rows = _new_refs(chunk.arrays["customer_ref"], self.customer_ids)
        if not refs:
            return
        values = chunk.rows(rows, CUSTOMER_SOURCE)
        count = len(values)
        given, kinds, names, joined, cert_types, cert_numbers, cert_addresses = list(zip(*values, strict=True))[:7]
        customer_codes = [code or next(self.new_codes) for code in given]
        customers = pa.table({
            "code": customer_codes,
            "kind": kinds,
            "name": names,
            "status": self._constant(CustomerStatus.ACTIVE.value, count),
            "failed_auth_count": self._constant(0, count),
            "joined_at": [self._midnight(day) for day in joined],
            "created_at": self._constant(self.now, count),
            "changed_at": self._constant(self.now, count),
        })  # fmt: skip
        ids = self.writer.insert_returning_ids(_table(Customer), customers, "code")
        self.customer_ids.update(zip(refs, ids, strict=True))
        self._certificates(ids, cert_types, cert_numbers, cert_addresses)
        self._profiles(ids, chunk, rows)
        self._history(ids, customer_codes, kinds, names)

    def _midnight(self, day: str) -> str:
        """The start of a day in the operator's time zone, as the backend stores moments (cached per day)."""
        moment = self._midnights.get(day)
        if moment is None:
            parsed = parse_date(day)
            assert parsed is not None  # validated
            moment = self.writer.timestamp(datetime.combine(parsed, time(), tzinfo=self.zone))
            self._midnights[day] = moment
        return moment

    def _certificates(
        self, ids: list[int], types: tuple[str, ...], numbers: tuple[str, ...], addresses: tuple[str, ...]
    ) -> None:
        normalised = []
        for cert_type, number in zip(types, numbers, strict=True):
            member = enum_value(CertificateType, cert_type)
            assert member is not None  # validated
            normalised.append(normalise_certificate_number(member, number))
        count = len(ids)
        self.writer.insert(_table(Certificate), pa.table({
            "customer_id": ids,
            "cert_type": types,
            "cert_number": normalised,
            "cert_address": [address or None for address in addresses],
            "active": self._constant(True, count),
            "created_at": self._constant(self.now, count),
        }))  # fmt: skip

    def _profiles(self, ids: list[int], chunk: Chunk, rows: list[int]) -> None:
        taken = pa.array(rows, pa.int64())
        columns = {name: chunk.arrays[name].take(taken) for name in PROFILE_COLUMNS}
        some = None
        for array in columns.values():
            given = pc.not_equal(array, "")
            some = given if some is None else pc.or_(some, given)
        data = pa.table({
            "customer_id": pa.array(ids, pa.int64()),
            **{name: _nullify(array) for name, array in columns.items()},
            "do_not_disturb": self._constant(False, len(ids)),
            "source": self._constant("import", len(ids)),
            "changed_at": self._constant(self.now, len(ids)),
        })  # fmt: skip
        self.writer.insert(_table(CustomerProfile), data.filter(some))

    def _history(
        self, ids: list[int], customer_codes: list[str], kinds: tuple[str, ...], names: tuple[str, ...]
    ) -> None:
        count = len(ids)
        self.writer.insert(_table(CustomerHistory), pa.table({
            "customer_id": ids,
            "customer_code": customer_codes,
            "action": self._constant(HistoryAction.CREATE.value, count),
            "actor": self._constant(self.actor, count),
            "at": self._constant(self.now, count),
            "after": [_snapshot(c, k, n) for c, k, n in zip(customer_codes, kinds, names, strict=True)],
            "note": self._constant(self.note, count),
        }))  # fmt: skip

    # --- accounts ---------------------------------------------------------------------------------------------
    def _accounts(self, chunk: Chunk) -> None:
        refs, rows = _new_refs(chunk.arrays["account_ref"], self.account_ids)
        accounts = dict(zip(refs, chunk.rows(rows, ACCOUNT_SOURCE), strict=True))
        # Parents (which never have a parent of their own) go first, then the accounts under a parent that
        # is new in this same chunk. An account whose parent comes further down the file is linked at the end.
        later = [ref for ref, values in accounts.items() if values[3] in accounts]
        waiting = set(later)
        for wave in ([ref for ref in refs if ref not in waiting], later):
            self._write_accounts(wave, accounts)

    def _write_accounts(self, refs: list[str], accounts: dict[str, tuple[str, ...]]) -> None:
        if not refs:
            return
        values = [accounts[ref] for ref in refs]
        owners, names, types, parents, payments = list(zip(*values, strict=True))
        count = len(refs)
        data = pa.table({
            "account_code": [next(self.account_codes) for _ in refs],
            "customer_id": [self.customer_ids[owner] for owner in owners],
            "name": names,
            "account_type": types,
            "parent_account_id": pa.array([self.account_ids.get(p) if p else None for p in parents], pa.int64()),
            "payment_method": payments,
            "status": self._constant("active", count),
            "created_at": self._constant(self.now, count),
            "changed_at": self._constant(self.now, count),
        })  # fmt: skip
        ids = self.writer.insert_returning_ids(_table(BillingAccount), data, "account_code")
        self.account_ids.update(zip(refs, ids, strict=True))
        self.orphans.extend((i, p) for i, p in zip(ids, parents, strict=True) if p and p not in self.account_ids)

    # --- subscribers and relations ------------------------------------------------------------------------------
    def _subscribers(self, chunk: Chunk) -> None:
        arrays, count = chunk.arrays, len(chunk)
        data = pa.table({
            "subscriber_code": arrays["subscriber_id"],
            "customer_id": _ids_for(arrays["customer_ref"], self.customer_ids),
            "account_id": _ids_for(arrays["account_ref"], self.account_ids),
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
            "created_at": self._constant(self.now, count),
            "changed_at": self._constant(self.now, count),
        })  # fmt: skip
        self.writer.insert(_table(Subscriber), data)
        self.subscribers += count

    def finish(self, relations: list[RelationKey]) -> int:
        """Link accounts to parents met later in the file, write the relations; returns the relation count."""
        if self.orphans:
            table = _table(BillingAccount)
            links = [{"account": a, "parent": self.account_ids[p]} for a, p in self.orphans]
            statement = update(table).where(table.c.id == bindparam("account"))
            self.conn.execute(statement.values(parent_account_id=bindparam("parent")), links)
        for start in range(0, len(relations), 100_000):
            batch = relations[start : start + 100_000]
            self.writer.insert(_table(CustomerRelation), pa.table({
                "customer_id": [self.customer_ids[ref] for ref, _, _ in batch],
                "related_customer_id": [self.customer_ids[related] for _, related, _ in batch],
                "relation_type": [relation.value for _, _, relation in batch],
                "created_at": self._constant(self.now, len(batch)),
            }))  # fmt: skip
        return len(relations)


def _new_refs(refs: pa.Array, known: dict[str, int]) -> tuple[list[str], list[int]]:
    """Source keys of a chunk not written yet, each with its first row, in file order."""
    table = pa.table({"ref": refs, "row": pa.array(range(len(refs)), pa.int64())})
    grouped = table.group_by("ref", use_threads=False).aggregate([("row", "min")]).sort_by("row_min")
    pairs = [(ref, row) for ref, row in zip(grouped["ref"].to_pylist(), grouped["row_min"].to_pylist(), strict=True)
             if ref not in known]  # fmt: skip
    return [ref for ref, _ in pairs], [row for _, row in pairs]


def _ids_for(refs: pa.Array, ids: dict[str, int]) -> pa.Array:
    """The id of each row's source key: looked up once per distinct key, spread over the rows by Arrow."""
    distinct = pc.unique(refs)
    return pa.array([ids[ref] for ref in distinct.to_pylist()], pa.int64()).take(pc.index_in(refs, value_set=distinct))


def _nullify(array: pa.Array) -> pa.Array:
    """Empty text becomes NULL."""
    return pc.if_else(pc.equal(array, ""), NULL_TEXT, array)


def _default(array: pa.Array, value: str) -> pa.Array:
    """Empty text becomes the documented default."""
    return pc.if_else(pc.equal(array, ""), value, array)


def _without_spaces(chunk: Chunk) -> pa.Array:
    """Service numbers in canonical form: as given, unless a value holds spaces (rare: cleaned in Python)."""
    numbers = chunk.arrays["service_number"]
    if not pc.any(pc.match_substring_regex(numbers, r"[\s\pZ\x{85}\x{1c}-\x{1f}\x{0b}]")).as_py():
        return numbers
    return pa.array(["".join(number.split()) for number in chunk.column("service_number")], pa.string())


def _snapshot(code: str, kind: str, name: str) -> str:
    """The history entry's `after`: the customer's core fields, as customers.service.snapshot writes them."""
    if name.isprintable() and '"' not in name and "\\" not in name:
        # The common case needs no JSON escaping: a template is several times faster than json.dumps.
        return f'{{"code": "{code}", "kind": "{kind}", "name": "{name}", "status": "active", "merged_into_code": null}}'
    snapshot = {"code": code, "kind": kind, "name": name, "status": "active", "merged_into_code": None}
    return json.dumps(snapshot, ensure_ascii=False)
