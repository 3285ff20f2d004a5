"""Small integer measures shared by the staging and feature steps: days, whole months, whole percent, windows.

Everything is integer arithmetic that DuckDB and Spark evaluate alike. Ibis compiles `a // b` to FLOOR(a / b)
through a double; for 0 ≤ a < 2**53 and b ≥ 1 that floor is exact, because a correctly rounded quotient that is not
a whole number cannot reach the next whole number below that size. Callers therefore only divide non-negative
amounts (signs are put back afterwards).
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from telcocrm.kit.months import add_months, month_start, window


def days_between(start: ir.DateValue, end: ir.DateValue | date) -> ir.IntegerValue:
    """Days from `start` to `end` (negative when `end` is earlier)."""
    return ibis.literal(end).delta(start, unit="day") if isinstance(end, date) else end.delta(start, unit="day")


def whole_months(start: ir.DateValue, end: date) -> ir.IntegerValue:
    """Whole months from `start` to `end`: calendar months, less one when `end`'s day is before `start`'s day.

    A month's last day completes the month whatever the start day (31 July → 30 June is 11 whole months), so from
    any start to a month's last day this is the difference of the calendar months.
    """
    months = (end.year - start.year()) * 12 + (end.month - start.month())
    if end.month == (end + timedelta(days=1)).month:  # not the last day of its month
        months = months - ibis.ifelse(start.day() > end.day, 1, 0)
    return months.cast("int64")


def floor_div(amount: ir.IntegerValue, count: ir.IntegerValue | int) -> ir.IntegerValue:
    """⌊amount / count⌋ of a non-negative amount, null when the count is 0 or null."""
    divisor = ibis.literal(count) if isinstance(count, int) else count
    return ibis.ifelse(divisor > 0, amount // divisor, ibis.null()).cast("int64")


def percent_change(new: ir.IntegerValue, base: ir.IntegerValue) -> ir.IntegerValue:
    """Whole-percent change from `base` to `new`, rounded toward zero; null when the base is 0 or null."""
    diff = new - base
    magnitude = (diff.abs() * 100) // base.abs()
    return ibis.ifelse(base == 0, ibis.null(), diff.sign() * magnitude).cast("int64")


def percent_of(part: ir.IntegerValue, whole: ir.IntegerValue) -> ir.IntegerValue:
    """Whole percent `part` is of `whole`, rounded down; null when the whole is 0 or null."""
    return ibis.ifelse(whole > 0, (part * 100) // whole, ibis.null()).cast("int64")


def months_back(month: str, length: int) -> list[str]:
    """The `length` months ending with `month` (YYYY-MM), oldest first."""
    return window(month, length)


def window_start(month: str, length: int) -> date:
    """The first day of the `length`-month window ending with `month`."""
    return month_start(add_months(month, 1 - length))


def text(*parts: str | ir.Value) -> ir.StringValue:
    """A reason in business words built of literal words and values (whole numbers, codes)."""
    values = [ibis.literal(p) if isinstance(p, str) else p.cast("string") for p in parts]
    result = values[0]
    for value in values[1:]:
        result = result + value
    return result
