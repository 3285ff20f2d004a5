"""Check digits a whole column at a time in Arrow: resident IDs (GB 11643), social credit codes (GB 32100), Damm.

A million customers means a million check digits; one at a time in Python that is seconds, here it is a few
dozen Arrow operations over fixed-width bytes. Each function agrees with python-stdnum (tested), and callers
send every value it does not accept to the rules in customers/rules.py, whose message the user then sees.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.imports.arrowbytes import byte_columns

DIGIT_ZERO = ord("0")
DIGITS = "0123456789"
# ISO 7064 MOD 11-2, as GB 11643 uses it: the weight of position i (from the left) of the 17-digit body.
RESIDENT_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RESIDENT_CHECK = "10X98765432"  # check character for each remainder of the weighted sum modulo 11
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# The Damm algorithm's quasigroup (the table python-stdnum uses), flattened: row * 10 + digit.
DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_DAMM_FLAT = pa.array([cell for row in DAMM_TABLE for cell in row], pa.int32())
_RESIDENT_CHECK_BYTES = pa.array([ord(c) for c in RESIDENT_CHECK], pa.int32())
_USCC_CHECK_BYTES = pa.array([ord(c) for c in USCC_ALPHABET], pa.int32())
_USCC_VALUES = pa.array([USCC_ALPHABET.find(chr(b)) if chr(b) in USCC_ALPHABET else 0 for b in range(256)], pa.int32())
_DIGIT_TEXT = pa.array(list(DIGITS))

RESIDENT_PATTERN = r"^[0-9]{17}[0-9X]$"
USCC_PATTERN = r"^[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10}$"
CODE_BODY_PATTERN = r"^[0-9]+$"


def _weighted_sum(columns: list[pa.Array], weights: tuple[int, ...]) -> pa.Array:
    total: pa.Array | None = None
    for column, weight in zip(columns, weights, strict=False):
        term = pc.multiply(column, weight)
        total = term if total is None else pc.add(total, term)
    assert total is not None
    return total


def resident_check_ok(numbers: pa.Array) -> pa.Array:
    """Per value of 17 digits and a check character: whether the GB 11643 check character is right."""
    columns = byte_columns(numbers, 18)
    digits = [pc.subtract(column, DIGIT_ZERO) for column in columns[:17]]
    remainder = pc.modulo(_weighted_sum(digits, RESIDENT_WEIGHTS), 11)
    return pc.equal(columns[17], _RESIDENT_CHECK_BYTES.take(remainder))


def uscc_check_ok(numbers: pa.Array) -> pa.Array:
    """Per value of 18 characters of the GB 32100 alphabet: whether its check character is right."""
    columns = byte_columns(numbers, 18)
    values = [_USCC_VALUES.take(column) for column in columns[:17]]
    check = pc.modulo(pc.subtract(31, pc.modulo(_weighted_sum(values, USCC_WEIGHTS), 31)), 31)
    return pc.equal(columns[17], _USCC_CHECK_BYTES.take(check))


def damm_interim(digits: pa.Array, width: int) -> pa.Array:
    """The Damm interim digit after every digit of values of `width` ASCII digits (0 when the last is a check)."""
    interim = pa.repeat(pa.scalar(0, pa.int32()), len(digits))
    for column in byte_columns(digits, width):
        interim = _DAMM_FLAT.take(pc.add(pc.multiply(interim, 10), pc.subtract(column, DIGIT_ZERO)))
    return interim


def customer_codes(first_serial: int, count: int, digits: int = 11) -> pa.Array:
    """The customer codes of consecutive serials: the serial in `digits` digits and its Damm check digit."""
    if count == 0:
        return pa.array([], pa.string())
    if first_serial <= 0 or first_serial + count - 1 >= 10**digits:
        raise ValueError(f"customer serials {first_serial}…{first_serial + count - 1} out of range")
    bodies = serial_text(first_serial, count, digits)
    check = _DIGIT_TEXT.take(damm_interim(bodies, digits))
    return pc.binary_join_element_wise(bodies, check, "")


def serial_text(first_serial: int, count: int, digits: int) -> pa.Array:
    """Consecutive serials as zero-padded text of `digits` digits."""
    serials = pa.array(range(first_serial, first_serial + count), pa.int64())
    return pc.utf8_lpad(serials.cast(pa.string()), digits, "0")
