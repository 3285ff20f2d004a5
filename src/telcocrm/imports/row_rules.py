"""The rules of single rows, checked a whole column at a time in Arrow (fast on a million rows).

Only the rows that break a rule become Python objects, to word their problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.customers import rules
from telcocrm.customers.brands import brand_codes
from telcocrm.errors import InvalidInput
from telcocrm.imports.arrowbytes import contains_any
from telcocrm.imports.columns import MAX_LENGTH
from telcocrm.imports.fastcheck import check_service_number
from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import Chunk
from telcocrm.imports.values import allowed, parse_date
from telcocrm.models.enums import OwnershipType, Product, RelationType, SubscriberStatus

REQUIRED = "必填 / required"
NUL_CHARACTER = "含有空字符 / contains a NUL character"
NOT_A_DATE = "日期应为 YYYY-MM-DD / not a date in YYYY-MM-DD form"
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
FIXED_PLACE = pa.array([p.value for p in Product if p is not Product.MOBILE])
Reason = str | Callable[[str], str]


def flag(problems: ProblemLog, chunk: Chunk, mask: pa.Array, name: str, reason: Reason) -> None:
    """A problem on every row where `mask` is true; `reason` may be worded from the row's value."""
    if not pc.any(mask).as_py():
        return
    indices = pc.indices_nonzero(mask.fill_null(False)).to_pylist()
    values = chunk.arrays[name].take(pa.array(indices, pa.int64())).to_pylist() if callable(reason) else []
    for n, index in enumerate(indices):
        problems.add(chunk.lines[index], name, reason(values[n]) if callable(reason) else reason)


def vocabulary(problems: ProblemLog, chunk: Chunk, rows: pa.Array, name: str, enum: type[StrEnum]) -> pa.Array:
    """Flag, among `rows`, empty values (required) and values outside the vocabulary; returns the valid ones."""
    values = chunk.arrays[name]
    valid = pc.is_in(values, value_set=_vocabulary(enum))
    flag(problems, chunk, pc.and_(rows, pc.equal(values, "")), name, REQUIRED)
    flag(problems, chunk, pc.and_(rows, pc.invert(pc.or_(valid, pc.equal(values, "")))), name, not_one_of(enum))
    return valid


def _vocabulary(enum: type[StrEnum]) -> pa.Array:
    return pa.array([member.value for member in enum], pa.string())


def check_rows(chunk: Chunk, problems: ProblemLog) -> None:
    """The rules of single rows, a whole column at a time."""
    arrays = chunk.arrays
    for name, array in arrays.items():
        # PostgreSQL cannot store a NUL character in text; refused here rather than half-way through writing.
        if contains_any(array, (b"\x00",)):
            flag(problems, chunk, pc.match_substring(array, "\x00"), name, NUL_CHARACTER)
    for name in ROW_REQUIRED:
        flag(problems, chunk, pc.equal(arrays[name], ""), name, REQUIRED)
    for name, limit in MAX_LENGTH.items():
        # A character is at least one byte: only a column with a value longer than the limit in bytes is counted.
        if (pc.max(pc.binary_length(arrays[name])).as_py() or 0) > limit:
            flag(problems, chunk, pc.greater(pc.utf8_length(arrays[name]), limit), name, too_long(limit))
    for name, enum in ROW_VOCABULARIES:
        valid = pc.or_(pc.equal(arrays[name], ""), pc.is_in(arrays[name], _vocabulary(enum)))
        flag(problems, chunk, pc.invert(valid), name, not_one_of(enum))
    brands = pa.array(brand_codes(), pa.string())
    valid_brand = pc.or_(pc.equal(arrays["brand"], ""), pc.is_in(arrays["brand"], value_set=brands))
    flag(problems, chunk, pc.invert(valid_brand), "brand", not_a_brand)
    _subscriber_dates(chunk, problems)
    _service_numbers(chunk, problems)
    fixed_place = pc.is_in(arrays["product"], FIXED_PLACE)
    flag(
        problems,
        chunk,
        pc.and_(fixed_place, pc.equal(arrays["install_address"], "")),
        "install_address",
        "固定地点的产品需要装机地址 / a fixed-location product needs an install address",
    )


def _dates(chunk: Chunk, problems: ProblemLog, name: str) -> pa.Array:
    """The column as dates (null when empty or wrong); wrong ones are flagged. Parsed once per value."""
    array = chunk.arrays[name]
    distinct, parsed = _parsed_dates(array)
    flag(problems, chunk, bad_dates(array, distinct, parsed), name, NOT_A_DATE)
    return pa.array(parsed, pa.date32()).take(pc.index_in(array, value_set=distinct))


def _parsed_dates(array: pa.Array) -> tuple[pa.Array, list[date | None]]:
    distinct = pc.unique(array)
    return distinct, [parse_date(text) if text else None for text in distinct.to_pylist()]


def bad_dates(array: pa.Array, distinct: pa.Array | None = None, parsed: list[date | None] | None = None) -> pa.Array:
    """Per row, whether a non-empty value is not a YYYY-MM-DD date (each distinct value parsed once)."""
    if distinct is None or parsed is None:
        distinct, parsed = _parsed_dates(array)
    wrong = [text for text, day in zip(distinct.to_pylist(), parsed, strict=True) if text and day is None]
    return pc.is_in(array, value_set=pa.array(wrong, pa.string()))


def _subscriber_dates(chunk: Chunk, problems: ProblemLog) -> None:
    arrays = chunk.arrays
    activated = _dates(chunk, problems, "activated_date")
    terminated = _dates(chunk, problems, "terminated_date")
    contract_end = _dates(chunk, problems, "contract_end_date")
    is_terminated = pc.equal(arrays["subscriber_status"], SubscriberStatus.TERMINATED.value)
    has_date = pc.not_equal(arrays["terminated_date"], "")
    flag(
        problems,
        chunk,
        pc.and_(is_terminated, pc.invert(has_date)),
        "terminated_date",
        "已拆机用户须填拆机日期 / a terminated subscriber needs its terminated_date",
    )
    flag(
        problems,
        chunk,
        pc.and_(has_date, pc.invert(is_terminated)),
        "terminated_date",
        "仅拆机用户有拆机日期 / only a terminated subscriber has a terminated_date",
    )
    before = "早于开通日期 / before activated_date"
    flag(problems, chunk, pc.less(terminated, activated), "terminated_date", before)
    flag(problems, chunk, pc.less(contract_end, activated), "contract_end_date", before)


def _service_numbers(chunk: Chunk, problems: ProblemLog) -> None:
    """The rules' own pattern per product in Arrow; rows it rejects get the rules' own message."""
    products, numbers = chunk.arrays["product"], chunk.arrays["service_number"]
    for product in Product:
        mask = pc.and_(pc.equal(products, product.value), pc.not_equal(numbers, ""))
        if not pc.any(mask).as_py():
            continue
        indices = pc.indices_nonzero(mask)
        matched = pc.match_substring_regex(numbers.take(indices), rules.SERVICE_NUMBER_RULES[product][0].pattern)
        for index in indices.filter(pc.invert(matched)).to_pylist():
            try:
                check_service_number(product, chunk.column("service_number")[index])
            except InvalidInput as exc:
                problems.add(chunk.lines[index], "service_number", exc.message)


def too_long(limit: int) -> str:
    """The reason for a value longer than its column."""
    return f"超过 {limit} 个字符 / longer than {limit} characters"


def not_a_brand(text: str) -> str:
    """The reason for a brand outside the brand catalogue (customers/brands.toml)."""
    return f"品牌不在品牌目录中 / '{text}' is not a brand of the catalogue: {', '.join(brand_codes())}"


def not_one_of(enum: type[StrEnum]) -> Callable[[str], str]:
    """The reason for a value outside a vocabulary, worded from the value."""
    return lambda text: f"取值无效 / '{text}' is not one of: {allowed(enum)}"
