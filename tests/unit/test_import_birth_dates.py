"""The column-wise birth-date check of resident IDs agrees with Python's calendar."""

from __future__ import annotations

import random
from datetime import date

import pyarrow as pa

from telcocrm.imports.fastcheck import born_by

TODAY = date(2026, 11, 23)


def calendar_says(digits: str) -> bool:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:])) <= TODAY
    except ValueError:
        return False


def test_birth_dates_are_accepted_exactly_when_the_calendar_has_them_by_today() -> None:
    rng = random.Random(7)
    edges = [f"{y:04d}{m:02d}{d:02d}" for y in (0, 1, 1900, 2000, 2023, 2024, 2026, 9999)
             for m in range(0, 14) for d in (0, 1, 28, 29, 30, 31, 32)]  # fmt: skip
    edges += [TODAY.strftime("%Y%m%d"), date(2026, 11, 24).strftime("%Y%m%d")]
    drawn = [f"{rng.randrange(10000):04d}{rng.randrange(14):02d}{rng.randrange(33):02d}" for _ in range(5000)]
    values = edges + drawn
    verdicts = born_by(pa.array(values), TODAY).to_pylist()
    assert verdicts == [calendar_says(value) for value in values]
    assert 0 < sum(verdicts) < len(values)
