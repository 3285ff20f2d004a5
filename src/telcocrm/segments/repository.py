"""Queries of the segment and value history (written by the monthly run's write-back, read here)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, select
from sqlalchemy.orm import Session

from telcocrm.customers.records import SegmentRecord, columns, published, take
from telcocrm.models import SegmentHistory


@cache
def _history_query() -> Select[Any]:
    history = SegmentHistory.__table__
    return (
        select(*columns(SegmentRecord))
        .where(history.c.customer_code == bindparam("code", type_=String), published(history))
        .order_by(history.c.month.desc())
        .limit(bindparam("months", type_=Integer))
    )


def history(db: Session, customer_code: str, *, months: int) -> list[SegmentRecord]:
    """The customer's segments, tiers and big-customer kinds of its newest `months` months, newest first."""
    rows = db.connection().execute(_history_query(), {"code": customer_code, "months": months})
    return [take(SegmentRecord, row) for row in rows]
