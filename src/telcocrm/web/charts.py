"""Charts drawn on the server as inline SVG: bars and lines from integers, with axes, a legend and a title.

No JavaScript and nothing fetched from the network: the page carries the picture, and the same numbers are
always in a table beside it for people who cannot see it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

PALETTE = ("#1f4e8c", "#1b7f4b", "#b42318", "#9a5b00", "#6b4fa0", "#0f7c8c")
LABEL_WIDTH_PX = 56  # room one month label (YYYY-MM) needs on the x axis
TICKS = 5


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category, drawn as bars or as a line."""

    name: str
    values: Sequence[int]
    kind: Literal["bar", "line"] = "bar"


@dataclass(frozen=True)
class Frame:
    """The plot area inside the picture, in pixels, and the value range of the y axis."""

    left: int
    top: int
    width: int
    height: int
    low: int
    high: int

    def y(self, value: int) -> float:
        """The pixel row of a value."""
        return self.top + self.height - (value - self.low) / (self.high - self.low) * self.height

    def band(self, count: int) -> float:
        """The width of one category."""
        return self.width / max(count, 1)


def nice_ticks(low: int, high: int, count: int = TICKS) -> list[int]:
    """Round tick values (1, 2 or 5 × 10^k apart) covering low…high and zero, at least two of them."""
    low, high = min(low, 0), max(high, 0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(int(m * magnitude) for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step) * step, math.ceil(high / step) * step
    return list(range(first, last + step, step))


def chart_svg(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    y_label: str,
    fmt: Callable[[int], str] = str,
    size: tuple[int, int] = (760, 300),
) -> Markup:
    """An accessible SVG chart (role img, title and description) of the series over the categories."""
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values for {len(categories)} categories")
    width, height = size
    values = [v for one in series for v in one.values] or [0]
    ticks = nice_ticks(min(values), max(values))
    frame = Frame(left=80, top=44, width=width - 96, height=height - 92, low=ticks[0], high=ticks[-1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" data-testid="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>',
        *_y_axis(frame, ticks, y_label, fmt),
        *_x_axis(frame, categories),
        *_bars(frame, categories, [s for s in series if s.kind == "bar"], series, fmt),
        *_lines(frame, categories, [s for s in series if s.kind == "line"], series, fmt),
        *_legend(frame, series),
        "</svg>",
    ]
    return Markup("".join(parts))


def _colour(series: Sequence[Series], one: Series) -> str:
    return PALETTE[series.index(one) % len(PALETTE)]


def _y_axis(frame: Frame, ticks: list[int], label: str, fmt: Callable[[int], str]) -> list[str]:
    """Grid lines with their values, and the axis title turned upright along the left edge."""
    right = frame.left + frame.width
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        stroke = "#8a96a3" if tick == 0 else "#dde3ea"
        parts.append(f'<line x1="{frame.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{stroke}"/>')
        value = escape(fmt(tick))
        parts.append(f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-tick">{value}</text>')
    middle = frame.top + frame.height / 2
    parts.append(
        f'<text x="14" y="{middle:.1f}" transform="rotate(-90 14 {middle:.1f})" text-anchor="middle" '
        f'class="chart-axis-label">{escape(label)}</text>'
    )
    return parts


def _x_axis(frame: Frame, categories: Sequence[str]) -> list[str]:
    """Category labels under the plot; when they would overlap, every n-th one."""
    band = frame.band(len(categories))
    every = max(1, math.ceil(LABEL_WIDTH_PX / band)) if categories else 1
    baseline = frame.top + frame.height + 18
    return [
        f'<text x="{frame.left + band * (i + 0.5):.1f}" y="{baseline}" text-anchor="middle" '
        f'class="chart-tick">{escape(name)}</text>'
        for i, name in enumerate(categories)
        if i % every == 0
    ]


def _bars(
    frame: Frame, categories: Sequence[str], bars: list[Series], series: Sequence[Series], fmt: Callable[[int], str]
) -> list[str]:
    """Grouped bars from the zero line; each bar names its series, category and value on hover."""
    if not bars:
        return []
    band = frame.band(len(categories))
    bar = band * 0.8 / len(bars)
    zero = frame.y(0)
    parts = []
    for n, one in enumerate(bars):
        colour = _colour(series, one)
        for i, value in enumerate(one.values):
            x = frame.left + band * (i + 0.1) + bar * n
            top, bottom = sorted((frame.y(value), zero))
            tip = f"{escape(one.name)} · {escape(categories[i])}: {escape(fmt(value))}"
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(bar - 1, 1):.1f}" height="{bottom - top:.1f}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
    return parts


def _lines(
    frame: Frame, categories: Sequence[str], lines: list[Series], series: Sequence[Series], fmt: Callable[[int], str]
) -> list[str]:
    """A polyline through the middle of each category, with a dot per value."""
    band = frame.band(len(categories))
    parts = []
    for one in lines:
        colour = _colour(series, one)
        points = [(frame.left + band * (i + 0.5), frame.y(v)) for i, v in enumerate(one.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
            f"<title>{escape(one.name)} · {escape(categories[i])}: {escape(fmt(one.values[i]))}</title></circle>"
            for i, (x, y) in enumerate(points)
        ]
    return parts


def _legend(frame: Frame, series: Sequence[Series]) -> list[str]:
    """One swatch and name per series, in a row above the plot."""
    parts, x = [], frame.left
    for one in series:
        colour = _colour(series, one)
        if one.kind == "bar":
            parts.append(f'<rect x="{x}" y="12" width="12" height="12" fill="{colour}"/>')
        else:
            parts.append(f'<line x1="{x}" y1="18" x2="{x + 12}" y2="18" stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<text x="{x + 17}" y="22" class="chart-legend">{escape(one.name)}</text>')
        x += 30 + _text_width(one.name)
    return parts


def _text_width(text: str) -> int:
    """About how wide a label is at 12 px: CJK glyphs are as wide as the font is high, Latin ones about half."""
    return sum(13 if ord(char) >= 0x2E80 else 7 for char in text)
