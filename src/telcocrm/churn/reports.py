"""Churn reports over the monthly run's results: churn rate by month and by branch, brand, segment, value tier and
tenure band, and the revenue retention rate (docs/churn.md § Reports and pages).

Everything is read from the results store with DuckDB, a few small aggregates per call; a month or file the store
does not have gives no rows, never an error. Definitions:

- Churn rate of month M: lines terminated in M ÷ lines in the network during M (the rows of M's
  subscriber_features, which are exactly the lines in the network at some time of the month).
- Revenue retention rate of month M (收入保有率, revenue kept from last month's customers): the amount billed in M
  to the customers who had lines in the network in M-1 (all their lines of M, new ones too) ÷ the amount billed
  in M-1 to all customers. A customer who left takes their revenue out; a new customer brings none in. Only
  months whose previous month is in the store have a rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.errors import InvalidInput
from telcocrm.kit.months import parse_month
from telcocrm.kit.settings_files import load_settings_file

REPORT_SETTINGS_FILE = Path(__file__).with_name("reports.toml")
FEATURES = "subscriber_features"
DIMENSIONS = ("city", "brand", "segment", "value_tier", "tenure_band")
VALUE_TIER_ORDER = ("high", "mid", "low")


class TenureBand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    from_months: int = Field(ge=0)
    label_zh: str
    label_en: str

    def label(self, lang: str) -> str:
        """The band's name in the page's language."""
        return self.label_en if lang == "en" else self.label_zh


class ReportSettings(BaseModel):
    """The whole reports.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    warning_page_size: int = Field(50, ge=1, le=500)
    chart_months: int = Field(24, ge=2, le=120)
    tenure_bands: tuple[TenureBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> ReportSettings:
        starts = [band.from_months for band in self.tenure_bands]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError("tenure_bands must start at from_months = 0 and rise strictly")
        return self


@cache
def load_report_settings(path: Path = REPORT_SETTINGS_FILE) -> ReportSettings:
    """The report settings of the file (default: the packaged reports.toml); refused whole when any entry is wrong."""
    return load_settings_file(path, ReportSettings, field="reports")


def query(sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of one DuckDB query over Parquet files, on a connection of its own."""
    with duckdb.connect() as con:
        return con.execute(sql, params).fetchall()


def existing(store: AnalyticsStore, months: Sequence[str], name: str) -> list[str]:
    """The paths of a result file for the months that have it, as strings for read_parquet."""
    paths = (store.result_path(month, name) for month in months)
    return [str(path) for path in paths if path.is_file()]


def present(store: AnalyticsStore, month: str, name: str) -> str | None:
    """The path of one month's result file, or None when the store does not have it (or the month is not one)."""
    try:
        parse_month(month)
    except InvalidInput:
        return None
    found = existing(store, [month], name)
    return found[0] if found else None


@dataclass(frozen=True)
class ChurnRate:
    """Lines in the network during a month and those of them that left, for one month or one group of a month."""

    key: str  # the month, or the group's value ("" when unknown)
    lines: int
    left: int

    @property
    def rate(self) -> float | None:
        """The share that left; None when there were no lines."""
        return self.left / self.lines if self.lines else None


def churn_rate_by_month(store: AnalyticsStore) -> list[ChurnRate]:
    """The churn rate of every month in the store, oldest first."""
    files = existing(store, store.months("results"), FEATURES)
    if not files:
        return []
    rows = query(
        "SELECT month, count(*), count(*) FILTER (WHERE terminated_in_month) FROM read_parquet($files) "
        "GROUP BY month ORDER BY month",
        {"files": files},
    )
    return [ChurnRate(month, lines, left) for month, lines, left in rows]


def churn_breakdowns(
    store: AnalyticsStore, month: str, settings: ReportSettings | None = None
) -> dict[str, list[ChurnRate]]:
    """The month's churn rate by each of DIMENSIONS (empty lists when the month has no features)."""
    settings = settings or load_report_settings()
    features = present(store, month, FEATURES)
    if features is None:
        return {dimension: [] for dimension in DIMENSIONS}
    source, params = _lines_with_groups(store, month, features, settings)
    found = {
        dimension: [
            ChurnRate(key or "", lines, left)
            for key, lines, left in query(
                f"SELECT {dimension}, count(*), count(*) FILTER (WHERE terminated_in_month) FROM ({source}) "
                f"GROUP BY {dimension}",
                params,
            )
        ]
        for dimension in DIMENSIONS
    }
    band_order = [band.code for band in settings.tenure_bands]
    found["tenure_band"].sort(key=lambda row: _position(band_order, row.key))
    found["value_tier"].sort(key=lambda row: _position(list(VALUE_TIER_ORDER), row.key))
    for dimension in ("city", "brand", "segment"):
        found[dimension].sort(key=lambda row: (-row.lines, row.key))
    return found


def _position(order: list[str], key: str) -> tuple[int, str]:
    return (order.index(key) if key in order else len(order), key)


def _lines_with_groups(
    store: AnalyticsStore, month: str, features: str, settings: ReportSettings
) -> tuple[str, dict[str, Any]]:
    """A query of the month's lines with their branch, brand, segment, value tier and tenure band."""
    params: dict[str, Any] = {"features": features}
    bands = " ".join(
        f"WHEN f.tenure_months >= {band.from_months} THEN '{band.code}'" for band in reversed(settings.tenure_bands)
    )  # codes and bounds are validated above (letters, digits, _ and integers), so they are safe as literals
    city, segment, tier = "NULL", "NULL", "NULL"
    joins = ""
    base = present(store, month, "base")
    if base is not None:
        params["base"] = base
        joins += (
            " LEFT JOIN (SELECT subscriber_id, min(city) AS city FROM read_parquet($base) GROUP BY 1) b"
            " USING (subscriber_id)"
        )
        city = "b.city"
    segments = present(store, month, "segments")
    if segments is not None:
        params["segments"] = segments
        joins += (
            " LEFT JOIN (SELECT customer_code, min(segment) AS segment, min(value_tier) AS value_tier "
            "FROM read_parquet($segments) GROUP BY 1) s USING (customer_code)"
        )
        segment, tier = "s.segment", "s.value_tier"
    source = (
        f"SELECT f.terminated_in_month, {city} AS city, f.brand AS brand, {segment} AS segment, {tier} AS value_tier, "
        f"CASE {bands} END AS tenure_band FROM read_parquet($features) f{joins}"
    )
    return source, params


@dataclass(frozen=True)
class RevenueRetention:
    """Last month's billed amount and what this month billed to the same customers."""

    month: str
    previous_billed_fen: int
    kept_billed_fen: int

    @property
    def rate(self) -> float | None:
        """Kept ÷ previous; None when last month billed nothing."""
        return self.kept_billed_fen / self.previous_billed_fen if self.previous_billed_fen else None


def revenue_retention_by_month(store: AnalyticsStore) -> list[RevenueRetention]:
    """The revenue retention rate of every month whose previous month is in the store, oldest first."""
    files = existing(store, store.months("results"), FEATURES)
    if not files:
        return []
    rows = query(
        """
        WITH billed AS (
            SELECT month, customer_code, sum(billed_fen) AS fen,
                   CAST(substr(month, 1, 4) AS INTEGER) * 12 + CAST(substr(month, 6, 2) AS INTEGER) AS k
            FROM read_parquet($files) GROUP BY month, customer_code
        ),
        totals AS (SELECT k, sum(fen) AS fen FROM billed GROUP BY k)
        SELECT cur.month, any_value(prev_total.fen),
               coalesce(sum(cur.fen) FILTER (WHERE prev.customer_code IS NOT NULL), 0)
        FROM billed cur
        JOIN totals prev_total ON prev_total.k = cur.k - 1
        LEFT JOIN billed prev ON prev.k = cur.k - 1 AND prev.customer_code = cur.customer_code
        GROUP BY cur.month ORDER BY cur.month
        """,
        {"files": files},
    )
    return [RevenueRetention(month, int(previous), int(kept)) for month, previous, kept in rows]
