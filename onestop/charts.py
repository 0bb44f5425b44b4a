"""Charts drawn on the server as accessible SVG: no chart library, no JavaScript in the browser.

Each chart is an `<svg role="img">` whose `<title>` and `<desc>` say what it shows, with every value also
written as text beside its bar or point, dark text on light ground and bars of sufficient contrast (WCAG
1.4.11: 3:1 against white). The caller renders a data table beside every chart, so the numbers are there
for people who cannot see it and for those who want to copy them. Surveys use it; dashboards will too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# #1d4e89 on white is 8.6:1; #0b0c0c text on white is 19:1; the grid #6f777b is 4.5:1.
BAR_COLOUR = "#1d4e89"
TEXT_COLOUR = "#0b0c0c"
GRID_COLOUR = "#6f777b"
FONT = 'font-family="system-ui, sans-serif" font-size="14"'


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    # What is written beside the bar or point ("42 (35%)"); the value itself when empty.
    caption: str = ""


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(width: int, height: int, title: str, description: str, chart_id: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" class="chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def bar_chart(
    title: str, description: str, points: Sequence[Point], chart_id: str, maximum: float | None = None
) -> Markup:
    """Horizontal bars, one per point, the label above each bar and its caption after it.

    `maximum` fixes the scale (100 for percentages); by default the largest value fills the width.
    """
    width, label_height, bar_height, gap = 360, 18, 18, 10
    row = label_height + bar_height + gap
    height = max(row * len(points) + gap, 40)
    scale_to = maximum or max((point.value for point in points), default=0) or 1
    bar_room = width - 90  # room after the longest bar for its caption
    parts = _open(width, height, title, description, chart_id)
    parts.append(f'<g {FONT} fill="{TEXT_COLOUR}">')
    for index, point in enumerate(points):
        top = gap + index * row
        length = max(0.0, min(point.value / scale_to, 1.0)) * bar_room
        caption = point.caption or _number(point.value)
        parts.append(f'<text x="0" y="{top + 13}">{escape(_shorten(point.label, 48))}</text>')
        parts.append(
            f'<rect x="0" y="{top + label_height}" width="{length:.1f}" height="{bar_height}" fill="{BAR_COLOUR}"/>'
        )
        parts.append(f'<text x="{length + 6:.1f}" y="{top + label_height + 14}">{escape(caption)}</text>')
    parts.append(f'<line x1="0" y1="{gap - 2}" x2="0" y2="{height - gap + 2}" stroke="{GRID_COLOUR}"/>')
    parts.append("</g></svg>")
    return Markup("".join(parts))


def trend_chart(title: str, description: str, points: Sequence[Point], chart_id: str) -> Markup:
    """Columns over time (one per month, oldest first), each value written on top of its column."""
    width, height, bottom, top_room = 360, 200, 40, 24
    count = max(len(points), 1)
    slot = width / count
    column = min(40.0, slot * 0.7)
    scale_to = max((point.value for point in points), default=0) or 1
    room = height - bottom - top_room
    parts = _open(width, height, title, description, chart_id)
    parts.append(f'<g {FONT} fill="{TEXT_COLOUR}" text-anchor="middle">')
    base = height - bottom
    parts.append(f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{GRID_COLOUR}"/>')
    # Labels thin out when months are many, so they never overlap at 360 px.
    every = max(1, round(count / 8))
    for index, point in enumerate(points):
        centre = slot * index + slot / 2
        length = max(0.0, point.value / scale_to) * room
        parts.append(
            f'<rect x="{centre - column / 2:.1f}" y="{base - length:.1f}" width="{column:.1f}" '
            f'height="{length:.1f}" fill="{BAR_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{base - length - 6:.1f}">{escape(point.caption or _number(point.value))}</text>'
        )
        if index % every == 0:
            parts.append(f'<text x="{centre:.1f}" y="{base + 18}">{escape(_shorten(point.label, 10))}</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))
