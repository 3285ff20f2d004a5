"""Months as the business writes them: `YYYY-MM` strings, with their first and last days."""

from __future__ import annotations

import calendar
import re
from datetime import date

from telcocrm.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, *, field: str = "month") -> tuple[int, int]:
    """(year, month) of a `YYYY-MM` string; a clear error otherwise."""
    found = _MONTH.match(text or "")
    if not found:
        raise InvalidInput(f"月份格式应为 YYYY-MM / month must be YYYY-MM, got {text!r}", field=field)
    return int(found.group(1)), int(found.group(2))


def month_start(month: str) -> date:
    year, number = parse_month(month)
    return date(year, number, 1)


def month_end(month: str) -> date:
    year, number = parse_month(month)
    return date(year, number, calendar.monthrange(year, number)[1])


def add_months(month: str, count: int) -> str:
    """The month `count` months after (negative: before) the given one."""
    year, number = parse_month(month)
    index = year * 12 + number - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window(month: str, length: int) -> list[str]:
    """The `length` months ending with `month`, oldest first."""
    return [add_months(month, offset) for offset in range(1 - length, 1)]


def previous_calendar_month(today: date) -> str:
    return add_months(month_of(today), -1)
