"""Build a MonthInputs from plain dicts for analytics tests: any table not given is empty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telcocrm.analytics import schemas
from telcocrm.analytics.sources import MonthInputs
from telcocrm.kit.months import month_end, month_start
from tests.analytics.conftest import build_table

Rows = Sequence[dict[str, Any]]


def month_inputs(
    con: Any,
    month: str,
    *,
    base: Rows = (),
    bills: Rows = (),
    usage: Rows = (),
    events: Rows = (),
    integrity: Rows = (),
    topups: Rows = (),
    referrals: Rows = (),
    previous_credit: Rows | None = None,
) -> MonthInputs:
    """The month's inputs holding exactly the given rows (schemas.BASE, BILLS, …; absent keys are null)."""
    return MonthInputs(
        month=month,
        first_day=month_start(month),
        last_day=month_end(month),
        base=build_table(con, schemas.BASE, list(base)),
        bills=build_table(con, schemas.BILLS, list(bills)),
        usage=build_table(con, schemas.USAGE, list(usage)),
        events=build_table(con, schemas.EVENTS, list(events)),
        integrity=build_table(con, schemas.INTEGRITY, list(integrity)),
        topups=build_table(con, schemas.TOPUPS, list(topups)),
        referrals=build_table(con, schemas.REFERRALS, list(referrals)),
        previous_credit=None if previous_credit is None else build_table(con, schemas.CREDIT, list(previous_credit)),
    )
