"""Queries of the credit rating history (written by the monthly run's write-back, read here)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, select
from sqlalchemy.orm import Session

from telcocrm.customers.records import CreditRecord, columns, published, take
from telcocrm.models import CreditRatingHistory


@cache
def _history_query() -> Select[Any]:
    history = CreditRatingHistory.__table__
    return (
        select(*columns(CreditRecord))
        .where(history.c.customer_code == bindparam("code", type_=String), published(history))
        .order_by(history.c.month.desc())
        .limit(bindparam("months", type_=Integer))
    )


def history(db: Session, customer_code: str, *, months: int) -> list[CreditRecord]:
    """The customer's ratings and classes of its newest `months` months, newest first."""
    rows = db.connection().execute(_history_query(), {"code": customer_code, "months": months})
    return [take(CreditRecord, row) for row in rows]
