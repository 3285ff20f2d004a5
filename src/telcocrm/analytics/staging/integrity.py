"""Integrity records (诚信消费记录) of the last 12 months, on the customer now holding the line."""

from __future__ import annotations

import ibis.expr.types as ir

from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.measures import window_start

INTEGRITY_MONTHS = 12  # brief §3: the last 12 months of integrity records


def staged_integrity(inputs: MonthInputs) -> ir.Table:
    """Records dated within the 12 months ending with the run month: (customer_code, kind, event_date).

    A record naming a subscriber belongs to the customer holding that line in the base (merges followed); one
    for the customer as a whole, or for a line not in the base, keeps its own customer code.
    """
    records = inputs.integrity
    records = records.filter(
        (records.event_date >= window_start(inputs.month, INTEGRITY_MONTHS)) & (records.event_date <= inputs.last_day)
    )
    holders = inputs.base.select(holder_subscriber=inputs.base.subscriber_id, holder=inputs.base.customer_code)
    joined = records.left_join(holders, records.subscriber_id == holders.holder_subscriber)
    return joined.select(
        customer_code=joined.holder.fill_null(joined.customer_code),
        kind=joined.kind,
        event_date=joined.event_date,
    )
