"""Bills as known at the month's end: what was paid by then, whether settled, and how many days late.

A payment dated after the month's last day was not known at the month's end, so it is not counted (a month run
again later gives the same answer). A payment without a date counts as paid (the extract lost its date).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.measures import days_between, months_back


def staged_bills(inputs: MonthInputs) -> ir.Table:
    """One row per bill of the window with `paid_by_month_end_fen`, `settled`, `due`, `days_late` and `in_6m`.

    - `due`: the due date is on or before the month's last day.
    - `settled`: paid in full by the month's end.
    - `days_late`: for a settled bill, paid date − due date; for an unsettled one, month's last day − due date;
      never below 0 (paid early or not yet due).
    - `outstanding_fen`: what a due, unsettled bill still owes at the month's end; else 0.
    """
    bills = inputs.bills.filter(inputs.bills.month <= inputs.month)
    paid_known = bills.paid_date.isnull() | (bills.paid_date <= inputs.last_day)
    paid = ibis.ifelse(paid_known, bills.paid_fen.fill_null(0), 0).cast("int64")
    staged = bills.mutate(paid_by_month_end_fen=paid)
    settled = staged.paid_by_month_end_fen >= staged.billed_fen
    lateness = ibis.ifelse(
        settled,
        days_between(staged.due_date, staged.paid_date).fill_null(0),
        days_between(staged.due_date, inputs.last_day),
    )
    due = staged.due_date <= inputs.last_day
    return staged.mutate(
        settled=settled,
        due=due.fill_null(False),
        days_late=ibis.greatest(lateness.fill_null(0), 0).cast("int64"),
        outstanding_fen=ibis.ifelse(due & ~settled, staged.billed_fen - staged.paid_by_month_end_fen, 0).cast("int64"),
        in_6m=staged.month.isin(months_back(inputs.month, 6)),
    )
