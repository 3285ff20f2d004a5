"""The referral bonus (issue 4, condition `referral`): which referred lines pay their referrer this month.

A line is referred once: of its referrals in the look-back, the earliest delivering month, then date, then
referrer code counts. Its first bill is its earliest billed month; it is paid when `paid_fen >= billed_fen` and a
`paid_date` is set. The award month is the later of the month of that payment and the month whose extract
delivered the referral, so exactly one run awards each line whatever order the two facts arrive in, and a rerun
awards the same rows. Only lines activated inside the look-back count: an older line's first bill is outside what
the run reads. Integer and date arithmetic only, so DuckDB and Spark give the same rows. docs/rules.md has the rule.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics.sources import LOOKBACK_MONTHS, MonthInputs
from telcocrm.analytics.staging.measures import text, window_start
from telcocrm.loyalty.config import Campaign


def referrals_due(inputs: MonthInputs) -> ir.Table:
    """One row per referred line whose award month is the run's month: customer_code (the referrer), the line."""
    referred = _first_referrals(inputs.referrals)
    bill = _first_bills(inputs.bills, referred.select(subscriber_id="referred_subscriber_id"))
    base = inputs.base
    new_lines = base.filter(base.activated_date >= window_start(inputs.month, LOOKBACK_MONTHS)).select("subscriber_id")
    t = referred.rename(subscriber_id="referred_subscriber_id", customer_code="referrer_customer_code")
    t = t.join(bill, "subscriber_id").join(new_lines, "subscriber_id")
    paid = (t.paid_fen >= t.billed_fen) & t.paid_date.notnull()
    paid_now = (t.paid_date >= inputs.first_day) & (t.paid_date <= inputs.last_day)
    # paid before the referral reached us: the month that delivered it pays
    reported_late = (t.paid_date < inputs.first_day) & (t.month == inputs.month)
    due = t.filter((paid & (paid_now | reported_late)).fill_null(False))
    return due.select("customer_code", "subscriber_id", "referral_date", "paid_date")


def referral_awards(facts: ir.Table, due: ir.Table, campaign: Campaign) -> ir.Table:
    """The campaign's points to the referrer of each due line, when the referrer holds a line in network."""
    t = facts.join(due, "customer_code")
    t = t.filter(t.in_network)
    points = campaign.points
    zh = text(f"活动{campaign.code}：推荐号码", t.subscriber_id, "首张账单于", t.paid_date, f"缴清，奖励{points}分")
    en = text(f"campaign {campaign.code}: referred line ", t.subscriber_id, " paid its first bill on ", t.paid_date)
    return t.select(
        "customer_code",
        rule=ibis.literal(campaign.rule),
        source=text(f"campaign:{campaign.code}:", t.subscriber_id),
        points=ibis.literal(points).cast("int64"),
        published=t.published,
        reason=text(zh, "；", t.pub_zh, " / ", en, f", {points} points; ", t.pub_en),
    )


def _first_referrals(referrals: ir.Table) -> ir.Table:
    """One referral per referred line: the earliest delivered, then dated, then the smallest referrer code."""
    order = [referrals.month.asc(), referrals.referral_date.asc(), referrals.referrer_customer_code.asc()]
    t = referrals.mutate(_rank=ibis.row_number().over(group_by="referred_subscriber_id", order_by=order))
    return t.filter(t._rank == 0).drop("_rank")


def _first_bills(bills: ir.Table, lines: ir.Table) -> ir.Table:
    """The earliest bill in the look-back of each of the lines."""
    bills = bills.join(lines, "subscriber_id")
    first = bills.group_by("subscriber_id").agg(month=bills.month.min())
    bill = bills.join(first, ["subscriber_id", "month"])
    return bill.select("subscriber_id", "billed_fen", "paid_fen", "paid_date")
