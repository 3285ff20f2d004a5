"""Typed builders of the monthly run's results (Parquet in the exact contract schemas) for write-back and reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from telcocrm.analytics import schemas

RULES = "2026-11-22#abcd1234"


def credit_row(code: str, rating: str = "A", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_code": code,
        "credit_rating": rating,
        "credit_rule": "credit.in_network.on_time",
        "credit_reason": "近6个月按时缴费 / paid on time for 6 months",
        "consecutive_a_months": 3 if rating == "A" else 0,
        "credit_class": "II",
        "class_rule": "credit.class.ordinary",
        "class_reason": "普通 / ordinary",
        "suspension_exempt_months": 0,
        "overdraft_limit_fen": 50_000,
        "rental_eligible": rating == "A",
        "discount_limit_pct": 10,
    }
    return row | changes


def segment_row(code: str, value_tier: str = "mid") -> dict[str, Any]:
    return {
        "customer_code": code,
        "segment": "personal",
        "sub_segment": None,
        "segment_rule": "segments.personal",
        "segment_reason": "个人客户 / a person",
        "value_grade": None,
        "arpu_grade": "arpu_3",
        "deposit_tier": "none",
        "tenure_band": "2y_5y",
        "behaviour_cluster": "c1",
        "demographic_band": "age_30_39",
        "big_customer_kinds": "high_value,strategic",
        "special_class": True,
        "big_customer_reason": "月消费超过3000元；战略客户 / spend above 3,000 CNY; strategic",
        "star_tier": "4",
        "star_rule": "segments.star.4",
        "star_reason": "ARPU 200元 / ARPU 200 CNY",
        "value_tier": value_tier,
        "value_rule": f"segments.value.{value_tier}",
        "value_reason": "中价值 / mid value",
    }


def lifecycle_row(subscriber: str, stage: str = "stable") -> dict[str, Any]:
    return {
        "subscriber_id": subscriber,
        "lifecycle_stage": stage,
        "lifecycle_rule": f"lifecycle.{stage}",
        "lifecycle_reason": "在网24个月，ARPU平稳 / 24 months in network, steady ARPU",
    }


def write(path: Path, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    """A Parquet file in the exact contract schema; columns not given are null."""
    columns = {f.name: [row.get(f.name) for row in rows] for f in schema}
    pq.write_table(pa.table(columns, schema=schema), path)


def results(
    folder: Path,
    credit: list[dict[str, Any]],
    segments: list[dict[str, Any]],
    lifecycle: list[dict[str, Any]],
    holders: dict[str, str],
) -> Path:
    """A run's results folder: the three marts and the features that name each subscriber's customer."""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "credit.parquet", schemas.CREDIT, credit)
    write(folder / "segments.parquet", schemas.SEGMENTS, segments)
    write(folder / "lifecycle.parquet", schemas.LIFECYCLE, lifecycle)
    features = [{"month": "2026-10", "subscriber_id": s, "customer_code": c} for s, c in holders.items()]
    write(folder / "subscriber_features.parquet", schemas.SUBSCRIBER_FEATURES, features)
    return folder
