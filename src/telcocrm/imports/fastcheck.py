"""The customer rules of customers/rules.py, with fast paths for the values a bulk file is full of.

A million-row file holds a million resident ID numbers; stdnum's validation of one takes over 100 µs
(mostly Unicode clean-up and a table walk), which alone would cap an import at a few thousand rows a
second. The fast paths here accept only values the rules accept — same check digit, same birth-date and
region tests, same patterns — and hand everything else to the rules, whose message the user then sees.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum import numdb

from telcocrm.customers import rules
from telcocrm.errors import InvalidInput
from telcocrm.imports.checkdigits import RESIDENT_PATTERN, USCC_PATTERN, resident_check_ok, uscc_check_ok
from telcocrm.models.enums import CertificateType, CustomerKind, Product

_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])  # index 0: no such month


def check_certificate(kind: CustomerKind, cert_type: CertificateType, number: str, today: date) -> str:
    """The normalised number by rules.validate_certificate, or its InvalidInput (for what certificates_ok left)."""
    try:
        return rules.validate_certificate(kind, cert_type, number, today=today)
    except KeyError as exc:
        # stdnum raises KeyError, not a validation error, for a region code that names only a province.
        raise InvalidInput(
            "居民身份证号码 / resident ID number: 地区码无效 / region code is invalid", field="certificate.number"
        ) from exc


def certificates_ok(kinds: pa.Array, types: pa.Array, numbers: pa.Array, today: date) -> pa.Array:
    """Per row, whether the fast path accepts the certificate as it stands (then it is its own normal form).

    Resident IDs of persons and social credit codes of organisations, a whole column at a time: pattern and
    check character in Arrow, birth dates and region codes once per distinct value. False means "ask the
    rules" (rules.validate_certificate), not "invalid".
    """
    resident = _shaped(kinds, types, numbers, CustomerKind.PERSON, CertificateType.RESIDENT_ID, RESIDENT_PATTERN)
    credit = _shaped(
        kinds, types, numbers, CustomerKind.ORGANISATION, CertificateType.UNIFIED_SOCIAL_CREDIT, USCC_PATTERN
    )
    ok = pc.replace_with_mask(resident, resident, _residents_ok(numbers.filter(resident), today))
    return pc.or_(ok, pc.replace_with_mask(credit, credit, uscc_check_ok(numbers.filter(credit))))


def _shaped(
    kinds: pa.Array, types: pa.Array, numbers: pa.Array, kind: CustomerKind, cert_type: CertificateType, pattern: str
) -> pa.Array:
    """Rows of this kind and certificate type whose number has the certificate's shape."""
    of_type = pc.and_(pc.equal(kinds, kind.value), pc.equal(types, cert_type.value))
    return pc.and_(of_type, pc.match_substring_regex(numbers, pattern))


def _residents_ok(numbers: pa.Array, today: date) -> pa.Array:
    """Resident ID numbers of the right shape: check character, a real birth date not after today, a region
    code in use in the birth year (as rules.validate_certificate, per value)."""
    born_ok = born_by(pc.utf8_slice_codeunits(numbers, 6, 14), today)
    region_ok = _distinct_ok(pc.utf8_slice_codeunits(numbers, 0, 10), lambda r: region_valid(r[:6], int(r[6:])))
    return pc.and_(resident_check_ok(numbers), pc.and_(born_ok, region_ok))


def born_by(digits: pa.Array, today: date) -> pa.Array:
    """Per value of 8 ASCII digits (YYYYMMDD), whether it is a real date (year 1 on) not after today.

    In numpy over the whole column: the birth dates of a million customers, checked one by one, cost a second.
    """
    value = digits.cast(pa.int64()).to_numpy(zero_copy_only=False)
    year, month, day = value // 10_000, value // 100 % 100, value % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    return pa.array(real & (value <= today.year * 10_000 + today.month * 100 + today.day))


def _distinct_ok(values: pa.Array, check: Callable[[str], bool]) -> pa.Array:
    """A check run once per distinct value (a file repeats a few thousand regions and birth days)."""
    distinct = pc.unique(values)
    good = [value for value in distinct.to_pylist() if check(value)]
    return pc.is_in(values, value_set=pa.array(good, pa.string()))


@lru_cache(maxsize=65536)
def region_valid(region: str, year: int) -> bool:
    """Whether a resident ID of someone born in `year` may carry this region code (ric.get_birth_place's rule)."""
    return any(start <= year <= end for start, end in _region_years(region))


@lru_cache(maxsize=8192)
def _region_years(region: str) -> tuple[tuple[int, int], ...]:
    """The years a region code was in use, read once per code from stdnum's table.

    ric.get_birth_place answers for one (code, year) pair at half a millisecond a call; a file holds
    thousands of pairs. Its rule: valid when any of the code's county entries is undated ("东城区") or
    dated with a range holding the year ("[1983-]越秀区").
    """
    info = {k: v for _, props in numdb.get("cn/loc").info(region) for k, v in props.items()}
    spans = []
    for entry in info.get("county", "").split(","):
        if not entry:
            continue
        if not entry.startswith("["):
            return ((0, 9999),)
        start, end = entry[1:].split("]")[0].split("-")
        spans.append((int(start or 0), int(end or 9999)))
    return tuple(spans)


def check_service_number(product: Product, number: str) -> str:
    """The canonical service number, as rules.validate_service_number gives it, or its InvalidInput."""
    # The rules' own pattern, tried on the value as it stands: a number without spaces needs no cleaning.
    pattern = rules.SERVICE_NUMBER_RULES[product][0]
    if pattern.fullmatch(number) and len(number.split()) == 1:
        return number
    return rules.validate_service_number(product, number)
