"""Retention marts: cost caps per customer, a measure per warned customer, the lifecycle × value × brand matrix."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.retention import retention_caps, retention_offers
from telcocrm.analytics.marts.retention_matrix import retention_matrix
from telcocrm.churn.cost_cap import load_retention_rules, retention_cost_cap
from telcocrm.churn.warning_rules import ChurnRules

from .conftest import build_table, rows

RULES = load_retention_rules()
MONTH = "2026-10"


def customer(code: str, arpu_fen: int, group_size: int = 0) -> dict[str, Any]:
    return {"month": MONTH, "customer_code": code, "arpu_3m_fen": arpu_fen, "group_size": group_size}


def feature(line: str, code: str, arpu_fen: int, product: str = "mobile", brand: str = "ruyitong") -> dict[str, Any]:
    return {
        "month": MONTH,
        "subscriber_id": line,
        "customer_code": code,
        "arpu_3m_fen": arpu_fen,
        "product": product,
        "brand": brand,
    }


def caps_of(con: Any, customers: list[dict[str, Any]], tiers: dict[str, str], lines: list[dict[str, Any]]) -> Any:
    return retention_caps(
        build_table(con, schemas.CUSTOMER_FEATURES, customers),
        build_table(con, schemas.SEGMENTS, [{"customer_code": c, "value_tier": t} for c, t in tiers.items()]),
        build_table(con, schemas.SUBSCRIBER_FEATURES, lines),
        RULES,
    )


def test_cap_reads_the_main_line_product_and_the_value_tier(con: Any) -> None:
    lines = [
        feature("L1", "C1", 9_000, "mobile"),
        feature("L2", "C1", 9_000, "broadband"),  # same ARPU: the lower subscriber_id is the main line
        feature("L3", "C2", 1_000, "mobile"),
        feature("L4", "C2", 80_000, "broadband"),
    ]
    got = caps_of(con, [customer("C1", 18_000), customer("C2", 81_000, 12)], {"C1": "mid", "C2": "high"}, lines)
    assert got.schema().names == tuple(schemas.RETENTION_CAPS.names)
    by_code = {r["customer_code"]: r for r in rows(got)}
    assert (by_code["C1"]["main_product"], by_code["C2"]["main_product"]) == ("mobile", "broadband")
    assert by_code["C2"]["group_size"] == 12 and by_code["C1"]["group_size"] == 1
    assert by_code["C1"]["cost_cap_fen"] == retention_cost_cap(
        arpu_fen=18_000, value_tier="mid", group_size=0, product="mobile", rules=RULES
    )


customers_strategy = st.lists(
    st.tuples(
        st.integers(min_value=-5_000, max_value=10**8),  # ARPU in fen
        st.sampled_from(["high", "mid", "low"]),
        st.integers(min_value=0, max_value=300),  # group size
        st.sampled_from(["mobile", "fixed", "broadband", "e8_bundle", "dedicated_line", "unlisted"]),
    ),
    min_size=1,
    max_size=40,
)


# On DuckDB (the default backend) only: a Spark query per example would be slow; the example test above runs the
# same expression on every engine.
@settings(max_examples=12, deadline=None)
@given(values=customers_strategy)
def test_mart_agrees_with_the_pure_cap_exactly(values: list[tuple[int, str, int, str]]) -> None:
    con = None
    codes = [f"C{i:03d}" for i in range(len(values))]
    got = caps_of(
        con,
        [customer(code, arpu, size) for code, (arpu, _, size, _) in zip(codes, values, strict=True)],
        {code: tier for code, (_, tier, _, _) in zip(codes, values, strict=True)},
        [
            feature(f"L{code}", code, max(arpu, 0), product)
            for code, (arpu, _, _, product) in zip(codes, values, strict=True)
        ],
    )
    mart = {r["customer_code"]: r["cost_cap_fen"] for r in rows(got)}
    pure = {
        code: retention_cost_cap(arpu_fen=arpu, value_tier=tier, group_size=size, product=product, rules=RULES)
        for code, (arpu, tier, size, product) in zip(codes, values, strict=True)
    }
    assert mart == pure


def warning(line: str, code: str, score: int, signal: str | None) -> dict[str, Any]:
    return {
        "month": MONTH,
        "subscriber_id": line,
        "customer_code": code,
        "warning_score": score,
        "warned": score >= ChurnRules().warn_score_at_least,
        "top_signal": signal,
    }


def offers(con: Any, warnings: list[dict[str, Any]], caps: list[dict[str, Any]], scores: Any = None) -> dict[str, Any]:
    lines = [feature(w["subscriber_id"], w["customer_code"], 5_000) for w in warnings]
    stages = [{"subscriber_id": w["subscriber_id"], "lifecycle_stage": "warning"} for w in warnings]
    got = retention_offers(
        build_table(con, schemas.CHURN_WARNINGS, warnings),
        None if scores is None else build_table(con, schemas.CHURN_SCORES, scores),
        build_table(con, schemas.LIFECYCLE, stages),
        build_table(con, schemas.RETENTION_CAPS, caps),
        build_table(con, schemas.SUBSCRIBER_FEATURES, lines),
        RULES,
        ChurnRules(),
    )
    assert got.schema().names == tuple(schemas.RETENTION_OFFERS.names)
    return {r["customer_code"]: r for r in rows(got)}


def cap_row(code: str, tier: str, arpu_fen: int, cap_fen: int) -> dict[str, Any]:
    return {"month": MONTH, "customer_code": code, "value_tier": tier, "arpu_fen": arpu_fen, "cost_cap_fen": cap_fen}


def test_each_warned_customer_gets_the_preferred_measure_its_cap_allows(con: Any) -> None:
    got = offers(
        con,
        [
            warning("H1", "HIGH", 40, "port_out_query"),
            warning("M1", "MID", 40, "port_out_query"),
            warning("M2", "MID", 10, "complaint"),  # below the bar: not the customer's warned line
            warning("Q1", "QUIET", 10, "complaint"),
        ],
        [cap_row("HIGH", "high", 30_000, 20_000), cap_row("MID", "mid", 10_000, 12_000), cap_row("QUIET", "mid", 1, 1)],
    )
    assert set(got) == {"HIGH", "MID"}  # the quiet customer is not warned
    assert (got["HIGH"]["measure_code"], got["HIGH"]["measure_cost_fen"]) == ("DM002", 20_000)  # contract save first
    assert (got["MID"]["measure_code"], got["MID"]["subscriber_id"]) == ("DM001", "M1")  # 200 CNY is above the cap
    assert "120.00" in got["MID"]["offer_reason"] and got["MID"]["warned_by"] == "rules"
    assert got["HIGH"]["risk_value_fen"] == 30_000 * 40 // 100  # without a model: ARPU × score %


def test_a_customer_whose_every_fitting_measure_is_above_the_cap_gets_none_and_why(con: Any) -> None:
    got = offers(con, [warning("L1", "LOW", 30, "port_out_query")], [cap_row("LOW", "low", 3_000, 500)])["LOW"]
    assert got["measure_code"] is None and got["measure_cost_fen"] is None
    assert "cap 5.00 CNY" in got["offer_reason"] and "none recommended" in got["offer_reason"]


def test_the_model_warns_and_names_the_signal_when_it_is_sure(con: Any) -> None:
    scores = [
        {
            "month": MONTH,
            "subscriber_id": "A1",
            "customer_code": "A",
            "churn_probability": 0.8,
            "top_signal": "complaint",
        },
        {"month": MONTH, "subscriber_id": "A2", "customer_code": "A", "churn_probability": 0.1, "top_signal": None},
    ]
    got = offers(
        con,
        [warning("A1", "A", 0, None), warning("A2", "A", 30, "port_out_query")],
        [cap_row("A", "high", 40_000, 30_000)],
        scores,
    )["A"]
    assert (got["subscriber_id"], got["signal"], got["warned_by"]) == ("A1", "complaint", "model")
    assert got["measure_code"] == "DM003"  # service save answers a complaint
    assert got["risk_value_fen"] == 32_000  # ARPU × probability


def test_matrix_counts_lines_customers_and_warned_lines_per_cell_with_its_phase(con: Any) -> None:
    lines = [
        feature("L1", "C1", 10_000, brand="ruyitong"),
        feature("L2", "C1", 6_000, brand="ruyitong"),
        feature("L3", "C2", 3_000, brand="ruyitong"),
        feature("L4", "C2", 4_000, brand="shijiefeng"),
    ]
    stages = {"L1": "warning", "L2": "warning", "L3": "warning", "L4": "identification"}
    got = retention_matrix(
        build_table(con, schemas.LIFECYCLE, [{"subscriber_id": s, "lifecycle_stage": v} for s, v in stages.items()]),
        build_table(
            con,
            schemas.SEGMENTS,
            [{"customer_code": "C1", "value_tier": "high"}, {"customer_code": "C2", "value_tier": "high"}],
        ),
        build_table(con, schemas.SUBSCRIBER_FEATURES, lines),
        build_table(con, schemas.CHURN_WARNINGS, [warning("L1", "C1", 40, "arpu_drop"), warning("L3", "C2", 5, None)]),
        RULES,
    )
    assert got.schema().names == tuple(schemas.RETENTION_MATRIX.names)
    cells = {(r["lifecycle_stage"], r["brand"]): r for r in rows(got)}
    warned = cells[("warning", "ruyitong")]
    assert (warned["lines"], warned["customers"], warned["arpu_fen"], warned["warned_lines"]) == (3, 2, 19_000, 1)
    assert warned["retention_phase"] == "save"
    assert cells[("identification", "shijiefeng")]["retention_phase"] == "prevention"
