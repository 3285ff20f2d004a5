"""The sources of one month's run as Ibis tables: the extracts of the months the rules look back on, the base."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.backends import read_parquet
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.kit.months import add_months, month_end, month_start, window

# The longest look-back of any rule: integrity records over 12 months (brief §3).
LOOKBACK_MONTHS = 12


@dataclass(frozen=True)
class MonthInputs:
    """Everything a month's run reads, already on one engine."""

    month: str  # YYYY-MM being run
    first_day: date
    last_day: date
    base: ir.Table  # schemas.BASE, one row per subscriber
    bills: ir.Table  # schemas.BILLS, the 12 months ending with `month`
    usage: ir.Table  # schemas.USAGE, same window
    events: ir.Table  # schemas.EVENTS, same window
    integrity: ir.Table  # schemas.INTEGRITY, same window
    topups: ir.Table  # schemas.TOPUPS, same window
    referrals: ir.Table  # schemas.REFERRALS, same window (an optional extract: often empty)
    previous_credit: ir.Table | None  # schemas.CREDIT of the month before, when it was run


def load_month_inputs(con: Any, store: AnalyticsStore, month: str, base: Path) -> MonthInputs:
    """The month's inputs from the store and the base snapshot; months never ingested are simply absent."""
    months = window(month, LOOKBACK_MONTHS)
    tables = {
        name: read_parquet(con, [store.extract_path(m, name) for m in months], schema)
        for name, schema in schemas.EXTRACTS.items()
    }
    previous = store.result_path(add_months(month, -1), "credit")
    return MonthInputs(
        month=month,
        first_day=month_start(month),
        last_day=month_end(month),
        base=read_parquet(con, [base], schemas.BASE),
        previous_credit=read_parquet(con, [previous], schemas.CREDIT) if previous.exists() else None,
        **tables,
    )
