"""Queries of the lifecycle history (written by the monthly run's write-back, read here)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, select
from sqlalchemy.orm import Session

from telcocrm.customers.records import LifecycleRecord, columns, published, take
from telcocrm.models import LifecycleHistory


@cache
def _history_query() -> Select[Any]:
    history = LifecycleHistory.__table__
    code = bindparam("code", type_=String)
    newest_months = (
        select(history.c.month)
        .where(history.c.customer_code == code, published(history))
        .distinct()
        .order_by(history.c.month.desc())
        .limit(bindparam("months", type_=Integer))
    )
    return (
        select(*columns(LifecycleRecord))
        .where(history.c.customer_code == code, history.c.month.in_(newest_months), published(history))
        .order_by(history.c.month.desc(), history.c.subscriber_code)
    )


def history_of_customer(db: Session, customer_code: str, *, months: int) -> list[LifecycleRecord]:
    """The stages of every line the customer held, over its newest `months` months, newest month first."""
    rows = db.connection().execute(_history_query(), {"code": customer_code, "months": months})
    return [take(LifecycleRecord, row) for row in rows]
