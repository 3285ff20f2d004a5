"""The usage extract's measures: billing sends one row per line and month (ingest refuses a second one)."""

from __future__ import annotations

# Flows over the month (minutes, megabytes, messages, calls, days).
USAGE_SUMS = (
    "voice_minutes",
    "offnet_voice_minutes",
    "data_mb",
    "sms_count",
    "forwarded_calls",
    "forwarded_offnet_calls",
    "roaming_days",
)
# Plan-like values of the month: the allowance, the plan fee, the distinct numbers called.
USAGE_MAXIMA = ("data_allowance_mb", "plan_fee_fen", "distinct_called_numbers")
