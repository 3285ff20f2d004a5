"""Typed builders for the churn database tests: lines with a published value and stage, the run's files, caps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.db.engine import session_factory
from telcocrm.jobs.writeback import write_back
from telcocrm.staff.rules import Viewer
from tests.assessment_factories import RULES, lifecycle_row, results, segment_row, write
from tests.factories import make_account, make_line, make_person

MONTH = "2026-10"


@dataclass(frozen=True)
class Line:
    customer_code: str
    subscriber_code: str
    service_number: str


def line_with_value(
    engine: Engine,
    viewer: Viewer,
    folder: Path,
    *,
    value_tier: str = "high",
    stage: str = "warning",
    name: str = "张伟",
) -> Line:
    """A person with one mobile line (committed) whose published value tier and lifecycle stage are as given."""
    with session_factory(engine)() as db:
        customer = make_person(db, viewer, name)
        line = make_line(db, viewer, customer, make_account(db, viewer, customer))
        made = Line(customer.code, line.subscriber_code, line.service_number)
        db.commit()
    folder = results(
        folder / MONTH,
        [],
        [segment_row(made.customer_code, value_tier)],
        [lifecycle_row(made.subscriber_code, stage)],
        {made.subscriber_code: made.customer_code},
    )
    write_back(engine, MONTH, RULES, folder)
    return made


def write_caps(store: AnalyticsStore, month: str, caps: dict[str, int]) -> None:
    """The run's retention caps file of a month (schema RETENTION_CAPS)."""
    path = store.result_path(month, "retention_caps")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"month": month, "customer_code": code, "value_tier": "high", "cost_cap_fen": fen} for code, fen in caps.items()
    ]
    write(path, schemas.RETENTION_CAPS, rows)


def feature_row(subscriber: str, customer: str, *, left: bool, arpu_fen: int = 10_000) -> dict[str, Any]:
    """A line of the month's subscriber features, terminated in the month or not."""
    return {"month": MONTH, "subscriber_id": subscriber, "customer_code": customer, "product": "mobile",
            "brand": "shijie_tong", "terminated_in_month": left, "arpu_3m_fen": arpu_fen}  # fmt: skip


def base_row(
    subscriber: str, customer: str, *, activated: date = date(2022, 1, 1), terminated: date | None = None
) -> dict[str, Any]:
    """A line of the base snapshot."""
    return {"subscriber_id": subscriber, "customer_code": customer, "product": "mobile",
            "activated_date": activated, "terminated_date": terminated}  # fmt: skip


def run_files(
    folder: Path, features: list[dict[str, Any]], base: list[dict[str, Any]], tiers: dict[str, str] | None = None
) -> tuple[Path, Path]:
    """A month's results folder with subscriber features, base and segments; the features and base paths."""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "subscriber_features.parquet", schemas.SUBSCRIBER_FEATURES, features)
    write(folder / "base.parquet", schemas.BASE, base)
    write(folder / "segments.parquet", schemas.SEGMENTS, [segment_row(c, t) for c, t in (tiers or {}).items()])
    return folder / "subscriber_features.parquet", folder / "base.parquet"
