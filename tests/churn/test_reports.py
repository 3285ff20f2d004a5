"""Churn reports over hand-made results files: churn rate by month and by group, revenue retention, the model's
predicted against actual churn beside the rules, and the published model's figures — every figure counted by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import reports, reports_data
from telcocrm.errors import InvalidInput

JAN, FEB = "2026-01", "2026-02"


def write(store: AnalyticsStore, month: str, name: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    """One results file of a month; columns a row leaves out are null."""
    path = store.result_path(month, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    full = [{field.name: row.get(field.name) for field in schema} | {"month": month} for row in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)


def line(
    sub: str, cust: str, billed: int, tenure: int | None, *, left: bool = False, brand: str = "天翼"
) -> dict[str, Any]:
    status = "terminated" if left else "active"
    return {"subscriber_id": sub, "customer_code": cust, "billed_fen": billed, "tenure_months": tenure,
            "terminated_in_month": left, "subscriber_status": status, "brand": brand, "product": "mobile"}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> AnalyticsStore:
    """January: five lines of customers A, B, C, E (B's line leaves); February: A keeps a line and adds one, C's
    line leaves, D is new. Branches and segments for January; C's line left in February (the label of January)."""
    store = AnalyticsStore(tmp_path)
    january = [line("A1", "A", 100, 5), line("A2", "A", 50, 30, brand="全球通"), line("B1", "B", 200, 60, left=True),
               line("C1", "C", 100, 13), line("E1", "E", 0, None)]  # fmt: skip
    february = [line("A1", "A", 120, 6), line("A3", "A", 30, 0), line("C1", "C", 40, 14, left=True),
                line("D1", "D", 500, 0)]  # fmt: skip
    write(store, JAN, "subscriber_features", schemas.SUBSCRIBER_FEATURES, january)
    write(store, FEB, "subscriber_features", schemas.SUBSCRIBER_FEATURES, february)
    cities = {"A1": "杭州", "A2": "杭州", "B1": "宁波", "C1": "杭州"}  # E1 is not in the base
    write(store, JAN, "base", schemas.BASE, [{"subscriber_id": s, "city": c} for s, c in cities.items()])
    tiers = {"A": ("family", "high"), "B": ("personal", "high"), "C": ("personal", "low")}
    segments = [{"customer_code": c, "segment": s, "value_tier": v} for c, (s, v) in tiers.items()]
    write(store, JAN, "segments", schemas.SEGMENTS, segments)
    return store


def by_key(rows: list[reports.ChurnRate]) -> dict[str, tuple[int, int]]:
    return {row.key: (row.lines, row.left) for row in rows}


def test_churn_rate_by_month_counts_the_lines_in_the_network_and_those_that_left(store: AnalyticsStore) -> None:
    rates = reports.churn_rate_by_month(store)
    assert [(r.key, r.lines, r.left) for r in rates] == [(JAN, 5, 1), (FEB, 4, 1)]
    assert rates[0].rate == pytest.approx(0.20) and rates[1].rate == pytest.approx(0.25)


def test_the_month_breaks_down_by_branch_brand_segment_value_tier_and_tenure_band(store: AnalyticsStore) -> None:
    found = reports.churn_breakdowns(store, JAN)
    assert by_key(found["city"]) == {"杭州": (3, 0), "宁波": (1, 1), "": (1, 0)}
    assert by_key(found["brand"]) == {"天翼": (4, 1), "全球通": (1, 0)}
    assert by_key(found["segment"]) == {"family": (2, 0), "personal": (2, 1), "": (1, 0)}
    assert [(r.key, r.lines, r.left) for r in found["value_tier"]] == [("high", 3, 1), ("low", 1, 0), ("", 1, 0)]
    bands = [(r.key, r.lines, r.left) for r in found["tenure_band"]]
    assert bands == [("under_12", 1, 0), ("12_23", 1, 0), ("24_47", 1, 0), ("48_plus", 1, 1), ("", 1, 0)]


def test_tenure_bands_are_data(store: AnalyticsStore, tmp_path: Path) -> None:
    settings = tmp_path / "reports.toml"
    settings.write_text(
        'version = "t"\n[[tenure_bands]]\ncode = "new"\nfrom_months = 0\nlabel_zh = "新"\nlabel_en = "new"\n'
        '[[tenure_bands]]\ncode = "old"\nfrom_months = 24\nlabel_zh = "老"\nlabel_en = "old"\n',
        encoding="utf-8",
    )
    found = reports.churn_breakdowns(store, JAN, reports.load_report_settings(settings))
    assert by_key(found["tenure_band"]) == {"new": (2, 0), "old": (2, 1), "": (1, 0)}
    settings.write_text(settings.read_text(encoding="utf-8").replace("from_months = 0", "from_months = 3"), "utf-8")
    with pytest.raises(InvalidInput) as refused:
        reports.load_report_settings.__wrapped__(settings)
    assert refused.value.field == "reports" and "from_months = 0" in refused.value.message


def test_revenue_retention_is_this_months_billing_of_last_months_customers(store: AnalyticsStore) -> None:
    (february,) = reports.revenue_retention_by_month(store)  # January has no month before it
    # January billed 450; in February its customers A (120 + a new line 30) and C (40) billed 190; D is new.
    assert (february.month, february.previous_billed_fen, february.kept_billed_fen) == (FEB, 450, 190)
    assert february.rate == pytest.approx(190 / 450)


def test_the_model_quality_compares_predicted_and_actual_churn_and_the_rules_capture(store: AnalyticsStore) -> None:
    scores = {"A1": 0.9, "A2": 0.1, "C1": 0.6, "E1": 0.2}
    score_rows = [{"subscriber_id": s, "customer_code": s[0], "churn_probability": p} for s, p in scores.items()]
    write(store, JAN, "churn_scores", schemas.CHURN_SCORES, score_rows)
    write(store, FEB, "churn_scores", schemas.CHURN_SCORES, score_rows)  # its horizon has not passed yet
    warnings = [{"subscriber_id": "C1", "warning_score": 80}, {"subscriber_id": "A1", "warning_score": 10}]
    write(store, JAN, "churn_warnings", schemas.CHURN_WARNINGS, warnings)
    (january,) = reports_data.model_quality_by_month(store, horizon=1)
    assert (january.month, january.lines, january.left) == (JAN, 4, 1)  # C1 left in February
    assert january.mean_probability == pytest.approx(0.45) and january.actual_rate == pytest.approx(0.25)
    # One line is the top tenth of four: the model's riskiest (A1) stayed, the rules' riskiest (C1) left.
    assert (january.model_capture, january.rules_capture) == (0.0, 1.0)
    assert reports_data.model_quality_by_month(store, horizon=2) == []  # March is not in the store


def test_the_published_models_figures_and_no_model(tmp_path: Path) -> None:
    path = tmp_path / "published.json"
    assert reports_data.published_quality(path) is None
    path.write_text("not json", encoding="utf-8")
    assert reports_data.published_quality(path) is None
    body = {"format": "telcocrm-churn-model", "training_window": "2025-01..2025-09 → test 2025-10", "horizon_months": 3,
            "metrics": {"out_of_time": {"roc_auc": 0.81, "top_decile_capture": 0.42},
                        "rules_out_of_time": {"top_decile_capture": 0.23}}}  # fmt: skip
    path.write_text(json.dumps(body), encoding="utf-8")
    found = reports_data.published_quality(path)
    assert found is not None and found.out_of_time["top_decile_capture"] == 0.42
    assert found.rules_top_decile_capture == 0.23 and found.horizon_months == 3 and len(found.version) == 12


def test_an_empty_store_or_a_missing_month_gives_no_rows(tmp_path: Path, store: AnalyticsStore) -> None:
    empty = AnalyticsStore(tmp_path / "nothing")
    assert reports.churn_rate_by_month(empty) == [] and reports.revenue_retention_by_month(empty) == []
    assert reports_data.model_quality_by_month(empty, horizon=3) == []
    assert all(rows == [] for rows in reports.churn_breakdowns(store, "2025-06").values())
    without_base = reports.churn_breakdowns(store, FEB)  # February has no base nor segments file
    assert by_key(without_base["city"]) == {"": (4, 1)} and by_key(without_base["brand"]) == {"天翼": (4, 1)}
