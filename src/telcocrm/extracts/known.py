"""The codes the operational database holds, streamed once per ingest into Arrow arrays for set look-ups."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Engine, select
from sqlalchemy.orm import InstrumentedAttribute

from telcocrm.models import Customer, Subscriber

STREAM_ROWS = 100_000  # rows fetched at a time: memory stays flat however many subscribers there are


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
