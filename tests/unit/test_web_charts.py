"""The server-drawn SVG charts: round ticks, every value drawn, labels escaped, accessible, no script."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telcocrm.kit.money import cny
from telcocrm.web.charts import Series, chart_svg, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9))
def test_ticks_are_evenly_spaced_round_numbers_covering_the_values_and_zero(a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    ticks = nice_ticks(low, high)
    assert len(ticks) >= 2 and ticks[0] <= min(low, 0) and ticks[-1] >= max(high, 0)
    steps = {right - left for left, right in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    assert str(step).rstrip("0") in {"1", "2", "5"}
    assert len(ticks) <= 12  # a readable axis, not a comb


def test_a_bar_and_line_chart_has_title_axes_legend_and_one_mark_per_value() -> None:
    svg = chart_svg(
        chart_id="c1",
        title="积分 <按月>",
        description="desc & more",
        categories=["2026-09", "2026-10", "2026-11"],
        series=[Series("发放", [100, 250, 0]), Series("兑换", [0, 40, 90]), Series("负债", [5, 7, 9], "line")],
        y_label="积分",
        fmt=cny,
    )
    root = ET.fromstring(str(svg))  # well-formed XML: every label was escaped
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "积分 <按月>"
    assert len(root.findall(f"{SVG}rect[{SVG}title]")) == 6  # 2 bar series × 3 months
    assert len(root.findall(f"{SVG}circle")) == 3 and root.find(f"{SVG}polyline") is not None
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"2026-09", "2026-10", "2026-11", "积分", "发放", "兑换", "负债", "0.00"} <= set(texts)
    assert "<script" not in str(svg)
    heights = [float(r.get("height")) for r in root.findall(f"{SVG}rect[{SVG}title]")]
    assert max(heights) == heights[1] and heights[2] == 0  # 250 is the tallest; 0 has no height


def test_many_months_label_only_some_categories_but_draw_all() -> None:
    months = [f"20{25 + i // 12}-{i % 12 + 1:02d}" for i in range(36)]
    svg = str(chart_svg(chart_id="c2", title="t", description="d", categories=months,
                        series=[Series("s", list(range(36)))], y_label="y"))  # fmt: skip
    labels = [m for m in months if f">{m}</text>" in svg]
    assert 3 < len(labels) < 36 and labels[0] == months[0]
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == 36


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        chart_svg(chart_id="c3", title="t", description="d", categories=["a", "b", "c"],
                  series=[Series("s", [1, 2])], y_label="y")  # fmt: skip
