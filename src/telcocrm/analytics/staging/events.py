"""Subscriber events up to the month's end, and the suspensions they describe."""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir

from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.measures import days_between, window_start

# Events that end a suspension: the line was resumed, suspended anew (counted from then on), or terminated.
_SUSPENSION_ENDS = ("suspend", "resume", "terminate")


def staged_events(inputs: MonthInputs) -> ir.Table:
    """The window's events dated on or before the month's last day."""
    return inputs.events.filter(inputs.events.event_date <= inputs.last_day)


def suspended_days(inputs: MonthInputs, months: int) -> ir.Table:
    """Days each subscriber spent suspended in the `months` ending with the run month (subscriber_id, days).

    A suspension runs from its `suspend` event's day to the day of the next suspend, resume or terminate event of
    the line (strictly later `event_time`), or through the month's last day when none followed. It is clipped to
    the window, so one that began before the window counts only its days inside it. Days are counted as date
    differences: suspended on the 3rd and resumed on the 5th is 2 days.
    """
    events = staged_events(inputs)
    starts = events.filter(events.kind == "suspend").select(
        "subscriber_id", start_time=events.event_time, start_date=events.event_date
    )
    ends = events.filter(events.kind.isin(_SUSPENSION_ENDS)).select(
        end_subscriber=events.subscriber_id, end_time=events.event_time, end_date=events.event_date
    )
    paired = starts.left_join(ends, [starts.subscriber_id == ends.end_subscriber, ends.end_time > starts.start_time])
    first_end = paired.group_by(["subscriber_id", "start_time", "start_date"]).agg(end_date=paired.end_date.min())
    first_day = window_start(inputs.month, months)
    day_after = inputs.last_day + timedelta(days=1)
    clipped_start = ibis.greatest(first_end.start_date, ibis.literal(first_day))
    clipped_end = ibis.least(first_end.end_date.fill_null(day_after), ibis.literal(day_after))
    days = ibis.greatest(days_between(clipped_start, clipped_end), 0)
    intervals = first_end.mutate(days=days.cast("int64"))
    return intervals.group_by("subscriber_id").agg(days=intervals.days.sum().cast("int64"))
