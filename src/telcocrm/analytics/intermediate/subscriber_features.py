"""Subscriber features of the month (schemas.SUBSCRIBER_FEATURES): payment, usage and churn-warning indicators.

Definitions (the churn warning model of brief §8 reads them: suspension length and frequency, plan up/down changes
and their frequency, ARPU change, call-forwarding destination and frequency, change in called numbers):

- In network: activated on or before the month's last day (or activation unknown) and not terminated before its
  first day.
- tenure_months: whole months from activation to the month's last day (null when activation is unknown).
- ARPU over N months: ⌊billed fen summed over the months of the N ending with this one that have a bill ÷ the number
  of those months⌋; 0 when none has a bill. arpu_prev_3m: the same over the three months before this one.
- Changes are whole percent rounded toward zero, null when the base is 0 or unknown: arpu_change_1m = this month's
  bill vs last month's; arpu_change_3m = this month's bill vs arpu_prev_3m; called_numbers_change = this month's
  distinct called numbers vs the floor average of the three months before (months with usage).
- Windows of 3 and 6 months end with the run month; events count by their local day.
- suspensions: `suspend` events; suspended days: staging.events.suspended_days.
- plan downgrade: plan_change with new_plan_fee_fen < old_plan_fee_fen (upgrade: >).
- subscriber_status at the month's end: terminated when terminated_date ≤ the month's last day; else suspended
  when the latest suspend/resume event of the window is a suspend (a suspend and a resume at the same instant
  count as resumed); else active when there was such an event; else the base status, except that a base
  `terminated` whose termination falls after this month reads active.
- handset_age_months: whole months since the latest handset_change (the new handset is counted new; the event's
  own handset_age_months describes the handset replaced); null when none in the window.
- contract_months_left: from BASE.contract_end_date, calendar months from this month to the end month (0 when it
  ends this month); null without a contract or when it ended before this month.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.bills import staged_bills
from telcocrm.analytics.staging.events import staged_events, suspended_days
from telcocrm.analytics.staging.measures import (
    days_between,
    floor_div,
    months_back,
    percent_change,
    percent_of,
    whole_months,
    window_start,
)
from telcocrm.analytics.staging.usage import USAGE_MAXIMA, USAGE_SUMS
from telcocrm.kit.months import add_months


def subscriber_features(inputs: MonthInputs) -> ir.Table:
    """One row per subscriber in the network during the month, every column of schemas.SUBSCRIBER_FEATURES."""
    table = _in_network(inputs)
    parts = (_bill_features(inputs), *_usage_features(inputs), _event_features(inputs), _deposits(inputs))
    for part in parts:
        table = table.left_join(part, "subscriber_id").select(~ibis.selectors.endswith("_right"))
    suspended = suspended_days(inputs, 6).rename(suspended_days_6m="days")
    table = table.left_join(suspended, "subscriber_id").select(~ibis.selectors.endswith("_right"))
    return _finish(inputs, table)


def _in_network(inputs: MonthInputs) -> ir.Table:
    base = inputs.base
    active = (base.activated_date.isnull() | (base.activated_date <= inputs.last_day)) & (
        base.terminated_date.isnull() | (base.terminated_date >= inputs.first_day)
    )
    return base.filter(active).select(
        "subscriber_id",
        "customer_code",
        "product",
        "brand",
        "payment_method",
        "account_type",
        "activated_date",
        "terminated_date",
        "contract_end_date",
        base_status=base.subscriber_status,
    )


def _bill_features(inputs: MonthInputs) -> ir.Table:
    # One pass over the bills: ingest keeps one bill per subscriber and month (extracts/duplicates.py), so a
    # month's bill is its billed amount and counting bills counts months with a bill.
    bills = staged_bills(inputs)
    # Only bills of the last six months and bills still open at the month's end count in any feature below, so
    # the rest (about half of the 12-month window) are dropped before grouping: a subscriber none is left for
    # gets the same zeros and nulls from the join as from an empty group.
    bills = bills.filter(bills.in_6m | (bills.due & ~bills.settled))
    last_month = add_months(inputs.month, -1)

    def arpu(months: list[str]) -> ir.IntegerValue:
        inside = bills.month.isin(months)
        return floor_div(bills.billed_fen.sum(where=inside), bills.count(where=inside)).fill_null(0)

    open_bill = bills.due & ~bills.settled
    per_bill = bills.group_by("subscriber_id").agg(
        billed_fen=bills.billed_fen.sum(where=bills.month == inputs.month).fill_null(0),
        last_month_billed=bills.billed_fen.sum(where=bills.month == last_month),
        arpu_1m_fen=arpu(months_back(inputs.month, 1)),
        arpu_3m_fen=arpu(months_back(inputs.month, 3)),
        arpu_6m_fen=arpu(months_back(inputs.month, 6)),
        arpu_prev_3m_fen=arpu(months_back(last_month, 3)),
        bills_6m=bills.count(where=bills.in_6m),
        late_bills_6m=bills.count(where=bills.in_6m & (bills.days_late > 0)),
        max_days_late_6m=bills.days_late.max(where=bills.in_6m).fill_null(0),
        unpaid_bills=bills.count(where=open_bill),
        arrears_fen=bills.outstanding_fen.sum().fill_null(0),
        oldest_unpaid_due=bills.due_date.min(where=open_bill),
    )
    return per_bill.mutate(
        arrears_age_days=days_between(per_bill.oldest_unpaid_due, inputs.last_day).fill_null(0)
    ).drop("oldest_unpaid_due")


def _usage_features(inputs: MonthInputs) -> tuple[ir.Table, ir.Table]:
    """This month's usage, and the average of distinct numbers called in the three months before.

    Ingest keeps one usage row per subscriber and month, so this month's row is the month's usage as it stands
    and only the three months before are grouped: the other eight months of the window are not read at all.
    """
    usage = inputs.usage
    now = usage.filter(usage.month == inputs.month)
    now = now.select("subscriber_id", **{name: now[name].cast("int64") for name in (*USAGE_SUMS, *USAGE_MAXIMA)})
    before = usage.filter(usage.month.isin(months_back(add_months(inputs.month, -1), 3)))
    called = before.group_by("subscriber_id").agg(
        called_before_avg=floor_div(before.distinct_called_numbers.sum(), before.count())
    )
    return now, called


def _event_features(inputs: MonthInputs) -> ir.Table:
    events = staged_events(inputs)
    in_3m = events.event_date >= window_start(inputs.month, 3)
    in_6m = events.event_date >= window_start(inputs.month, 6)
    kind = events.kind
    plan = kind == "plan_change"
    down = plan & (events.new_plan_fee_fen < events.old_plan_fee_fen)
    up = plan & (events.new_plan_fee_fen > events.old_plan_fee_fen)
    return events.group_by("subscriber_id").agg(
        suspensions_3m=events.count(where=(kind == "suspend") & in_3m),
        suspensions_6m=events.count(where=(kind == "suspend") & in_6m),
        plan_downgrades_3m=events.count(where=down & in_3m),
        plan_downgrades_6m=events.count(where=down & in_6m),
        plan_upgrades_6m=events.count(where=up & in_6m),
        complaints_3m=events.count(where=(kind == "complaint") & in_3m),
        port_out_queries_3m=events.count(where=(kind == "port_out_query") & in_3m),
        last_suspend=events.event_time.max(where=kind == "suspend"),
        last_resume=events.event_time.max(where=kind == "resume"),
        last_handset_change=events.event_date.max(where=kind == "handset_change"),
    )


def _deposits(inputs: MonthInputs) -> ir.Table:
    topups = inputs.topups
    topups = topups.filter(
        (topups.topup_date >= window_start(inputs.month, 12)) & (topups.topup_date <= inputs.last_day)
    )
    return topups.group_by("subscriber_id").agg(deposit_fen_12m=topups.amount_fen.sum())


def _status(inputs: MonthInputs, t: ir.Table) -> ir.StringValue:
    terminated = t.terminated_date <= inputs.last_day
    suspended = t.last_suspend.notnull() & (t.last_resume.isnull() | (t.last_suspend > t.last_resume))
    return ibis.cases(
        (terminated.fill_null(False), "terminated"),
        (suspended, "suspended"),
        (t.last_resume.notnull(), "active"),
        (t.base_status == "terminated", "active"),
        else_=t.base_status,
    )


def _contract_months_left(inputs: MonthInputs, end: ir.DateValue) -> ir.IntegerValue:
    months = (end.year() - inputs.last_day.year) * 12 + (end.month() - inputs.last_day.month)
    return ibis.ifelse(end >= inputs.first_day, months, ibis.null()).cast("int64")


def _finish(inputs: MonthInputs, t: ir.Table) -> ir.Table:
    zero_filled = [
        *(f.name for f in schemas.SUBSCRIBER_FEATURES if f.name.endswith(("_3m", "_6m", "_12m", "_fen"))),
        "unpaid_bills",
        "arrears_age_days",
        *USAGE_SUMS,
        *USAGE_MAXIMA,
    ]
    t = t.mutate(**{name: t[name].fill_null(0) for name in zero_filled if name in t.columns})
    t = t.mutate(
        month=ibis.literal(inputs.month),
        subscriber_status=_status(inputs, t),
        terminated_in_month=(t.terminated_date >= inputs.first_day) & (t.terminated_date <= inputs.last_day),
        tenure_months=whole_months(t.activated_date, inputs.last_day),
        arpu_change_1m_pct=percent_change(t.billed_fen, t.last_month_billed),
        arpu_change_3m_pct=percent_change(t.billed_fen, t.arpu_prev_3m_fen),
        called_numbers_change_pct=percent_change(t.distinct_called_numbers, t.called_before_avg),
        forwarded_offnet_share_pct=percent_of(t.forwarded_offnet_calls, t.forwarded_calls),
        data_usage_pct=percent_of(t.data_mb, t.data_allowance_mb),
        handset_age_months=whole_months(t.last_handset_change, inputs.last_day),
        contract_months_left=_contract_months_left(inputs, t.contract_end_date),
    )
    t = t.mutate(terminated_in_month=t.terminated_in_month.fill_null(False))
    return t.select(*schemas.SUBSCRIBER_FEATURES.names).cast(ibis.schema(schemas.SUBSCRIBER_FEATURES))
