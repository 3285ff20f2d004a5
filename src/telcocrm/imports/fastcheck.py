"""The customer rules of customers/rules.py, with fast paths for the values a bulk file is full of.

A million-row file holds a million resident ID numbers; stdnum's validation of one takes over 100 µs
(mostly Unicode clean-up and a table walk), which alone would cap an import at a few thousand rows a
second. The fast paths here accept only values the rules accept — same check digit, same birth-date and
region tests, same patterns — and hand everything else to the rules, whose message the user then sees.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

from telcocrm.customers import rules
from telcocrm.errors import InvalidInput
from telcocrm.models.enums import CertificateType, CustomerKind, Product

_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC = re.compile(rf"[0-9]{{8}}[{_USCC_ALPHABET}]{{10}}")
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}


def check_certificate(kind: CustomerKind, cert_type: CertificateType, number: str, today: date) -> str:
    """The normalised number, as rules.validate_certificate gives it, or its InvalidInput."""
    resident = cert_type is CertificateType.RESIDENT_ID and kind is CustomerKind.PERSON
    if resident and _resident_id_ok(number, today):
        return number
    credit = cert_type is CertificateType.UNIFIED_SOCIAL_CREDIT and kind is CustomerKind.ORGANISATION
    if credit and _USCC.fullmatch(number) and number[-1] == uscc_check_digit(number):
        return number
    try:
        return rules.validate_certificate(kind, cert_type, number, today=today)
    except KeyError as exc:
        # stdnum raises KeyError, not a validation error, for a region code that names only a province.
        raise InvalidInput(
            "居民身份证号码 / resident ID number: 地区码无效 / region code is invalid", field="certificate.number"
        ) from exc


def _resident_id_ok(number: str, today: date) -> bool:
    if not _RESIDENT_ID.fullmatch(number) or number[-1] != ric.calc_check_digit(number):
        return False
    born = _birth_date(number[6:14])
    return born is not None and born <= today and region_valid(number[:6], born.year)


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


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


def uscc_check_digit(number: str) -> str:
    """The GB 32100 check character of the first 17 characters (stdnum's algorithm, without its clean-up)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(number, _USCC_WEIGHTS, strict=False))
    return _USCC_ALPHABET[(31 - total) % 31]


def check_service_number(product: Product, number: str) -> str:
    """The canonical service number, as rules.validate_service_number gives it, or its InvalidInput."""
    # The rules' own pattern, tried on the value as it stands: a number without spaces needs no cleaning.
    pattern = rules.SERVICE_NUMBER_RULES[product][0]
    if pattern.fullmatch(number) and len(number.split()) == 1:
        return number
    return rules.validate_service_number(product, number)
