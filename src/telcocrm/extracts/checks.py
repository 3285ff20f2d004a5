"""The row checks of an extract, a whole column of a batch at a time, and its stored form.

Each check reports the rows it fails as (row, field, reason) into the month's ProblemLog. A value that cannot be
read is reported once, as a type problem, and is null for the later checks, so it raises nothing else. What needs
the whole table (repeated rows, codes unknown to the operational database) is reported once its last batch is read
(TableCheck).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.analytics.schemas import EXTRACTS, PARTNER_POINTS
from telcocrm.extracts.contract import Column, Kind, Table
from telcocrm.extracts.duplicates import DuplicateFinder
from telcocrm.extracts.reading import Batch
from telcocrm.extracts.values import TYPE_REASONS, Converted, convert
from telcocrm.imports.problems import ProblemLog
from telcocrm.kit.months import add_months, month_end, month_start

MISSING = "必填 / a value is required"
NEGATIVE = "不能为负数 / must not be negative"
UNKNOWN_SUBSCRIBER = "用户不存在 / unknown subscriber: not a subscriber_code of the operational database"
UNKNOWN_CUSTOMER = "客户标识码不存在 / unknown customer code: not in the operational database"
PAID_WITHOUT_DATE = "已付款须填付款日期 / paid_date is required when paid_amount is above 0"
DATE_WITHOUT_PAYMENT = "未付款不应有付款日期 / paid_date must be empty when paid_amount is 0"
OWN_LINE = "不能推荐本客户自己的号码 / a customer cannot refer its own line: the referrer holds this line"
Holders = Callable[[Sequence[str]], dict[str, frozenset[str]]]  # subscriber_code → codes of the customers holding it


@dataclass(frozen=True)
class MonthContext:
    """What the checks of a month compare against: the month, and the codes the operational database holds."""

    month: str
    subscribers: pa.Array  # string: every subscriber_code
    customers: pa.Array  # string: every customer code
    holders: Holders | None = None  # who holds a line (known.line_holders); None: referrals are not checked

    @property
    def first_day(self) -> date:
        return month_start(self.month)

    @property
    def last_day(self) -> date:
        return month_end(self.month)


# The stored form of every table these checks read: the month's extracts, and the partners' points files.
STORED = {**EXTRACTS, "partner_points": PARTNER_POINTS}


class TableCheck:
    """The checks of one table, batch by batch (`batch`), then those needing all its rows (`finish`)."""

    def __init__(self, table: Table, context: MonthContext, problems: ProblemLog) -> None:
        self.table, self.context, self.problems = table, context, problems
        self.duplicates = DuplicateFinder(table)
        self.codes = CodeLookups()

    def batch(self, batch: Batch) -> pa.RecordBatch:
        """Report the batch's problems; its rows in the stored form (schemas.EXTRACTS)."""
        stored = check_batch(self.table, batch, self.context, self.problems, self.codes)
        self.duplicates.add(stored, batch.lines)
        return stored

    def finish(self) -> None:
        """Report the rows that repeat another and the codes the operational database does not hold."""
        self.codes.report(self.context, self.problems)
        self.duplicates.report(self.problems)


class CodeLookups:
    """The subscriber and customer codes of a table's rows, gathered batch by batch and looked up at its end.

    Arrow's is_in hashes its whole value set at every call. Looked up per batch, the operator's codes were hashed
    once a batch: against 10.5M subscriber codes a call took 2.6 s (timed with 65,536 values), and an ingest of
    one month ran for more than ten minutes. Gathered, they are hashed once per column of a table.
    """

    def __init__(self) -> None:
        self.columns: dict[str, tuple[Kind, list[pa.Array], list[pa.Array]]] = {}

    def add(self, column: Column, values: pa.Array, lines: pa.Array) -> None:
        """Keep a batch's codes of the column (only those given) with their row numbers."""
        given = pc.is_valid(values)
        _, codes, rows = self.columns.setdefault(column.name, (column.kind, [], []))
        codes.append(values.filter(given))
        rows.append(lines.filter(given))

    def report(self, context: MonthContext, problems: ProblemLog) -> None:
        """A problem on every row whose code the operational database does not hold."""
        for name, (kind, codes, rows) in self.columns.items():
            known = context.subscribers if kind is Kind.SUBSCRIBER else context.customers
            reason = UNKNOWN_SUBSCRIBER if kind is Kind.SUBSCRIBER else UNKNOWN_CUSTOMER
            unknown = pc.invert(pc.is_in(pa.chunked_array(codes, pa.string()), value_set=known))
            _Reporter(pa.chunked_array(rows, pa.int64()), problems)(unknown, name, reason)
        self.columns.clear()


def check_batch(
    table: Table, batch: Batch, context: MonthContext, problems: ProblemLog, codes: CodeLookups
) -> pa.RecordBatch:
    """Report the batch's problems, its codes kept in `codes` for the look-up at the table's end; its stored rows."""
    report = _Reporter(batch.lines, problems)
    read: dict[str, Converted] = {}
    for column in table.columns:
        raw = batch.columns.get(column.name)
        read[column.name] = converted = convert(column.kind, raw if raw is not None else pa.nulls(len(batch)))
        if not column.nullable:
            report(pc.invert(converted.given), column.name, MISSING)
        if column.kind in TYPE_REASONS:
            report(converted.bad, column.name, TYPE_REASONS[column.kind])
    for column in table.columns:
        _check_value(column, read, context, report)
        if column.kind in (Kind.SUBSCRIBER, Kind.CUSTOMER):
            codes.add(column, read[column.name].values, batch.lines)
    if table.name == "bills":
        _check_paid_date(read, report)
    if table.name == "referrals" and context.holders is not None:
        _check_own_line(read, context.holders, report)
    return _stored(table, read, context.month)


class _Reporter:
    """Turns a mask of failing rows into problems with their row numbers."""

    def __init__(self, lines: pa.Array, problems: ProblemLog) -> None:
        self.lines = lines
        self.problems = problems

    def __call__(self, failing: pa.Array, field: str, reason: str) -> None:
        failing = failing.fill_null(False)
        count = pc.sum(failing).as_py() or 0
        if count:
            lines = self.lines.filter(failing).slice(0, self.problems.room).to_pylist()
            self.problems.add_count(count, lines, field, reason)


def _check_value(column: Column, read: dict[str, Converted], context: MonthContext, report: _Reporter) -> None:
    """Ranges, enumerations, dates and look-ups of one column."""
    values = read[column.name].values
    if column.minimum is not None:
        report(pc.less(values, column.minimum), column.name, NEGATIVE)
    if column.values:
        allowed = pa.array(column.values, pa.string())
        report(
            pc.invert(pc.is_in(values, value_set=allowed)),
            column.name,
            f"取值无效 / must be one of: {', '.join(column.values)}",
        )
    if column.not_above:
        report(
            pc.greater(values, read[column.not_above].values),
            column.name,
            f"不能大于 / must not exceed {column.not_above}",
        )
    if column.kind is Kind.MONTH:
        report(
            pc.not_equal(values, context.month),
            column.name,
            f"月份应为 / month must be {context.month}, the month being ingested",
        )
    if column.in_month:
        report(_outside(values, context), column.name, f"不在本月内 / must fall inside {context.month}")
    if column.not_after_month:
        last = context.last_day
        report(pc.greater(values, pa.scalar(last, pa.date32())), column.name, f"不能晚于 / must not be after {last}")
    if column.not_before_month:
        first = context.first_day
        report(pc.less(values, pa.scalar(first, pa.date32())), column.name, f"不能早于 / must not be before {first}")


def _outside(values: pa.Array, context: MonthContext) -> pa.Array:
    """Dates or local times outside the month."""
    if pa.types.is_date(values.type):
        first, after = pa.scalar(context.first_day, pa.date32()), pa.scalar(context.last_day, pa.date32())
        return pc.or_(pc.less(values, first), pc.greater(values, after))
    start = datetime.combine(context.first_day, time())
    end = datetime.combine(month_start(add_months(context.month, 1)), time())
    start_scalar, end_scalar = pa.scalar(start, pa.timestamp("us")), pa.scalar(end, pa.timestamp("us"))
    return pc.or_(pc.less(values, start_scalar), pc.greater_equal(values, end_scalar))


def _check_paid_date(read: dict[str, Converted], report: _Reporter) -> None:
    """A payment has its date and only a payment has one (rows whose values are unreadable are left out)."""
    paid = pc.greater(read["paid_amount"].values, 0)
    dated = read["paid_date"]
    readable = pc.invert(dated.bad)
    report(pc.and_(pc.and_(paid, pc.invert(dated.given)), readable), "paid_date", PAID_WITHOUT_DATE)
    report(pc.and_(pc.invert(paid), dated.given), "paid_date", DATE_WITHOUT_PAYMENT)


def _check_own_line(read: dict[str, Converted], holders: Holders, report: _Reporter) -> None:
    """A referral of a line the referrer itself holds (directly, or as the survivor of the line's customer)."""
    referrers = read["referrer_customer_code"].values.to_pylist()
    lines = read["referred_subscriber_id"].values.to_pylist()
    held = holders(sorted({line for line in lines if line is not None}))
    own = [ref is not None and ref in held.get(line or "", ()) for ref, line in zip(referrers, lines, strict=True)]
    report(pa.array(own, pa.bool_()), "referred_subscriber_id", OWN_LINE)


def _stored(table: Table, read: dict[str, Converted], month: str) -> pa.RecordBatch:
    """The batch in the stored schema: money in fen, times local, the local day of each time beside it.

    A stored `month` no input column gives (referrals) is the month being ingested: the month that delivered the row.
    """
    arrays: dict[str, pa.Array] = {}
    for column in table.columns:
        arrays[column.target] = read[column.name].values
        if column.day:
            arrays[column.day] = read[column.name].values.cast(pa.date32())
    schema = STORED[table.name]
    if "month" in schema.names and "month" not in arrays:
        arrays["month"] = pa.repeat(pa.scalar(month, pa.string()), len(next(iter(read.values())).values))
    return pa.RecordBatch.from_arrays(
        [arrays[name].cast(schema.field(name).type) for name in schema.names], schema=schema
    )
