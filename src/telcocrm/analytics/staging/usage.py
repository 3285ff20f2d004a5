"""Usage per subscriber and month: billing sends one row per line and month; several are folded into one."""

from __future__ import annotations

import ibis.expr.types as ir

from telcocrm.analytics.sources import MonthInputs

# Flows add up over several rows of one month; plan-like values (fee, allowance, distinct numbers) do not, so a
# repeated row keeps the largest.
USAGE_SUMS = (
    "voice_minutes",
    "offnet_voice_minutes",
    "data_mb",
    "sms_count",
    "forwarded_calls",
    "forwarded_offnet_calls",
    "roaming_days",
)
USAGE_MAXIMA = ("data_allowance_mb", "plan_fee_fen", "distinct_called_numbers")


def monthly_usage(inputs: MonthInputs) -> ir.Table:
    """One row per (subscriber_id, month) of the window up to the run month."""
    usage = inputs.usage.filter(inputs.usage.month <= inputs.month)
    return usage.group_by(["subscriber_id", "month"]).agg(
        **{name: usage[name].sum().cast("int64") for name in USAGE_SUMS},
        **{name: usage[name].max().cast("int64") for name in USAGE_MAXIMA},
    )
