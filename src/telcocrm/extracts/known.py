"""The codes the operational database holds, streamed once per ingest into Arrow arrays for set look-ups; and who
holds the few lines a referrals file names."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
from sqlalchemy import Engine, select
from sqlalchemy.orm import InstrumentedAttribute

from telcocrm.models import Customer, Subscriber

STREAM_ROWS = 100_000  # rows fetched at a time: memory stays flat however many subscribers there are
LOOKUP_CODES = 500  # codes per IN list: far below every database's limit on bound parameters


def known_subscribers(engine: Engine) -> pa.Array:
    """Every subscriber_code."""
    return _codes(engine, Subscriber.subscriber_code)


def known_customers(engine: Engine) -> pa.Array:
    """Every customer code (merged-away codes too: they still name a customer)."""
    return _codes(engine, Customer.code)


def _codes(engine: Engine, column: InstrumentedAttribute[str]) -> pa.Array:
    parts: list[pa.Array] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(select(column))
        for rows in result.scalars().partitions():
            parts.append(pa.array(rows, pa.string()))
    return pa.concat_arrays(parts) if parts else pa.array([], pa.string())


def line_holders(engine: Engine, subscriber_codes: Sequence[str]) -> dict[str, frozenset[str]]:
    """Per subscriber_code, the customer codes holding the line: its customer's, and that one's survivor if merged."""
    holders: dict[str, frozenset[str]] = {}
    query = select(Subscriber.subscriber_code, Customer.code, Customer.merged_into_code).join(
        Customer, Customer.id == Subscriber.customer_id
    )
    with engine.connect() as conn:
        for start in range(0, len(subscriber_codes), LOOKUP_CODES):
            chunk = list(subscriber_codes[start : start + LOOKUP_CODES])
            for line, code, survivor in conn.execute(query.where(Subscriber.subscriber_code.in_(chunk))):
                holders[line] = frozenset(c for c in (code, survivor) if c)
    return holders
