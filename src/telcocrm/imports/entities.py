"""The columns of customers and accounts, checked once per customer (account) on its first row in the file.

Every check is a whole-column Arrow operation masked to the first rows; Python only words problems and asks
the rules (customers/rules.py) about the few values a fast path does not accept, so that the message the user
sees is always the rules' own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.customers.rules import FIXED_NUMBER, MOBILE_NUMBER, is_valid_customer_code
from telcocrm.errors import InvalidInput
from telcocrm.imports.attributes import check_attributes
from telcocrm.imports.checkdigits import damm_interim
from telcocrm.imports.fastcheck import certificates_ok, check_certificate
from telcocrm.imports.keys import ChunkKeys, KeyIndex
from telcocrm.imports.lookups import Lookups
from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import Chunk
from telcocrm.imports.row_rules import NOT_A_DATE, REQUIRED, bad_dates, flag, vocabulary
from telcocrm.models.enums import AccountType, CertificateType, CustomerKind, PaymentMethod

CODE_SHAPE = r"^[0-9]{12}$"
_CERT_FIELDS = {"certificate.type": "cert_type", "certificate.number": "cert_number"}


class CustomerChecks:
    """Kind, name, joined date, code, certificate, phone and segmentation attributes of each customer; codes and
    certificates unique."""

    def __init__(self, problems: ProblemLog, today: date, empty_tables: set[str]) -> None:
        self.problems = problems
        self.today = today
        self.empty_tables = empty_tables
        self.given_codes = 0
        self.highest_serial = 0
        self.codes: list[pa.Table] = []  # code, line: checked for repeats at the end
        self.certificates: list[pa.Table] = []  # cert_type, cert_number (normal form), line, customer (ordinal)

    def check(self, chunk: Chunk, keys: ChunkKeys, lookups: Lookups) -> None:
        """Check the customers this chunk introduces."""
        first, arrays, problems = keys.is_first, chunk.arrays, self.problems
        kind_ok = vocabulary(problems, chunk, first, "customer_kind", CustomerKind)
        type_ok = vocabulary(problems, chunk, first, "cert_type", CertificateType)
        for name in ("customer_name", "joined_date", "cert_number"):
            flag(problems, chunk, pc.and_(first, pc.equal(arrays[name], "")), name, REQUIRED)
        flag(problems, chunk, pc.and_(first, bad_dates(arrays["joined_date"])), "joined_date", NOT_A_DATE)
        self._phones(chunk, first)
        check_attributes(problems, chunk, first)
        self._codes(chunk, first, lookups)
        self._certificates(chunk, keys, pc.and_(kind_ok, type_ok), lookups)

    def _phones(self, chunk: Chunk, first: pa.Array) -> None:
        phones = chunk.arrays["contact_phone"]
        shaped = pc.or_(
            pc.match_substring_regex(phones, MOBILE_NUMBER.pattern),
            pc.match_substring_regex(phones, FIXED_NUMBER.pattern),
        )
        suspect = pc.and_(first, pc.and_(pc.not_equal(phones, ""), pc.invert(shaped)))
        for row in pc.indices_nonzero(suspect).to_pylist():
            phone = chunk.column("contact_phone")[row]
            if not (MOBILE_NUMBER.match(phone) or FIXED_NUMBER.match(phone)):  # the rules decide
                self.problems.add(
                    chunk.lines[row], "contact_phone", "不是手机或固定电话号码 / not a mobile or fixed telephone number"
                )

    def _codes(self, chunk: Chunk, first: pa.Array, lookups: Lookups) -> None:
        """Customer codes to keep: valid (Damm check digit); repeats and clashes are looked for later."""
        codes = chunk.arrays["customer_code"]
        rows = pc.indices_nonzero(pc.and_(first, pc.not_equal(codes, "")))
        if not len(rows):
            return
        values, lines = codes.take(rows), chunk.line_array.take(rows)
        ok = valid_codes(values)
        for line in lines.filter(pc.invert(ok)).to_pylist():
            self.problems.add(
                line, "customer_code", "客户标识码无效 / not a valid customer code (12 digits, check digit)"
            )
        values, lines = values.filter(ok), lines.filter(ok)
        self.codes.append(pa.table({"code": values, "line": lines}))
        self.given_codes += len(values)
        self.highest_serial = max(self.highest_serial, _highest_serial(values))
        if "customer" not in self.empty_tables:
            lookups.codes.extend(zip(values.to_pylist(), lines.to_pylist(), strict=True))

    def _certificates(self, chunk: Chunk, keys: ChunkKeys, known: pa.Array, lookups: Lookups) -> None:
        """Certificates valid for their type and kind; the fast path first, the rules for the rest."""
        arrays = chunk.arrays
        rows = pc.indices_nonzero(pc.and_(pc.and_(keys.is_first, known), pc.not_equal(arrays["cert_number"], "")))
        kinds, types = arrays["customer_kind"].take(rows), arrays["cert_type"].take(rows)
        numbers, lines = arrays["cert_number"].take(rows), chunk.line_array.take(rows)
        fast = certificates_ok(kinds, types, numbers, self.today)
        slow = pc.invert(fast)
        valid, normal = fast, numbers
        if pc.any(slow).as_py():
            verdicts = self._ask_rules(kinds.filter(slow), types.filter(slow), numbers.filter(slow), lines.filter(slow))
            valid = pc.replace_with_mask(fast, slow, pa.array([v is not None for v in verdicts]))
            normal = pc.replace_with_mask(numbers, slow, pa.array(verdicts, pa.string()))
        held = pa.table({
            "cert_type": types,
            "cert_number": normal,
            "line": lines,
            "customer": keys.ordinals.take(rows),
        }).filter(valid)  # fmt: skip
        self.certificates.append(held)
        if "certificate" not in self.empty_tables:
            found = zip(*(held[name].to_pylist() for name in ("cert_type", "cert_number", "line")), strict=True)
            lookups.certificates.extend((CertificateType(t), n, line) for t, n, line in found)

    def _ask_rules(self, kinds: pa.Array, types: pa.Array, numbers: pa.Array, lines: pa.Array) -> list[str | None]:
        """The normal form of each certificate by the rules, or None after recording their problem."""
        verdicts: list[str | None] = []
        values = zip(kinds.to_pylist(), types.to_pylist(), numbers.to_pylist(), lines.to_pylist(), strict=True)
        for kind, cert_type, number, line in values:
            try:
                verdicts.append(check_certificate(CustomerKind(kind), CertificateType(cert_type), number, self.today))
            except InvalidInput as exc:
                self.problems.add(line, _CERT_FIELDS.get(exc.field or "", "cert_number"), exc.message)
                verdicts.append(None)
        return verdicts

    def finish(self, customers: KeyIndex) -> None:
        """Codes and certificates given for two customers of the file."""
        if self.codes:
            for _, line, _ in duplicates(pa.concat_tables(self.codes), ["code"]):
                self.problems.add(
                    line, "customer_code", "客户标识码在文件中重复 / customer code given to two customers"
                )
        if self.certificates:
            held = pa.concat_tables(self.certificates)
            for _, line, (first, holder) in duplicates(held, ["cert_type", "cert_number"], "customer"):
                self.problems.add(
                    line,
                    "cert_number",
                    f"证件号码已用于另一客户 / certificate already given for customer_ref {customers.name(holder)}"
                    f" (line {first})",
                )
        self.codes, self.certificates = [], []


class AccountChecks:
    """Type, name and payment method of each account, on its first row."""

    def __init__(self, problems: ProblemLog) -> None:
        self.problems = problems

    def check(self, chunk: Chunk, keys: ChunkKeys) -> None:
        """Check the accounts this chunk introduces."""
        first = keys.is_first
        vocabulary(self.problems, chunk, first, "account_type", AccountType)
        flag(self.problems, chunk, pc.and_(first, pc.equal(chunk.arrays["account_name"], "")), "account_name", REQUIRED)
        vocabulary(self.problems, chunk, first, "payment_method", PaymentMethod)


def duplicates(
    table: pa.Table, keys: list[str], extra: str | None = None
) -> Iterator[tuple[tuple[Any, ...], int, tuple[int, Any]]]:
    """Rows whose key an earlier row already gave: (key, line, (first line, `extra` of the first row)).

    The table is in file order. Usually every key is distinct, which one Arrow count tells; otherwise only the
    rows of keys whose last column repeats are looked at in Python.
    """
    last = table[keys[-1]]
    if table.num_rows == 0 or pc.count_distinct(last).as_py() == table.num_rows:
        return
    counts = pc.value_counts(last)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    rows = table.filter(pc.is_in(last, value_set=repeated))
    columns = [rows[name].to_pylist() for name in keys]
    extras = rows[extra].to_pylist() if extra else [None] * rows.num_rows
    seen: dict[tuple[Any, ...], tuple[int, Any]] = {}
    for *key, line, more in zip(*columns, rows["line"].to_pylist(), extras, strict=True):
        first = seen.setdefault(tuple(key), (line, more))
        if first[0] != line:
            yield tuple(key), line, first


def valid_codes(codes: pa.Array) -> pa.Array:
    """Per code, whether it is a valid customer code: 12 ASCII digits with a Damm check digit in Arrow, the rules
    for anything else (they accept other Unicode digits too)."""
    shaped = pc.match_substring_regex(codes, CODE_SHAPE)
    ok = pc.replace_with_mask(shaped, shaped, pc.equal(damm_interim(codes.filter(shaped), 12), 0))
    refused = pc.invert(ok)
    if not pc.any(refused).as_py():
        return ok
    verdicts = [is_valid_customer_code(code) for code in codes.filter(refused).to_pylist()]
    return pc.replace_with_mask(ok, refused, pa.array(verdicts, pa.bool_()))


def highest_valid_serial(codes: pa.Array) -> int:
    """The highest serial among the valid codes of a column (0 when none)."""
    given = codes.filter(pc.not_equal(codes, ""))
    return _highest_serial(given.filter(valid_codes(given)))


def signature_hashes(signatures: pa.Array) -> list[int]:
    """A hash of each signature, to compare rows of a key with its first row in an earlier chunk."""
    return [hash(value) for value in signatures.cast(pa.binary()).to_pylist()]


def _highest_serial(codes: pa.Array) -> int:
    """The highest serial (code without its check digit) among valid codes."""
    if not len(codes):
        return 0
    try:
        return int(pc.max(pc.utf8_slice_codeunits(codes, 0, 11).cast(pa.int64())).as_py())
    except pa.ArrowInvalid:  # digits other than ASCII ones, which the rules accept too
        return max(int(code[:-1]) for code in codes.to_pylist())
