"""onestop.charts: accessible SVG that any page (surveys now, dashboards later) can put beside its data table."""

import re
import xml.etree.ElementTree as ET

from onestop.charts import BAR_COLOUR, Point, bar_chart, trend_chart

SVG = "{http://www.w3.org/2000/svg}"


def _contrast(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_bar_chart_is_an_image_with_title_description_and_every_value_written():
    svg = bar_chart(
        "Answers to Q1",
        "Most chose <Portal>",
        [Point("Portal & web", 66.7, "2 (66.7%)"), Point("Counter", 33.3)],
        "c1",
        100,
    )
    root = ET.fromstring(svg)  # well-formed, and the label's "&" and "<" are escaped
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Answers to Q1"
    assert root.find(f"{SVG}desc").text == "Most chose <Portal>"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert texts == ["Portal & web", "2 (66.7%)", "Counter", "33.3"]
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] or abs(widths[0] - 2 * widths[1]) < 1
    assert _contrast(BAR_COLOUR) >= 3  # WCAG 1.4.11 non-text contrast against white


def test_trend_chart_has_a_column_per_month_and_handles_no_data():
    svg = trend_chart("Responses per month", "Two months", [Point("2026-11", 4), Point("2026-12", 8)], "m")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Responses per month"
    assert len(list(root.iter(f"{SVG}rect"))) == 2
    assert [t.text for t in root.iter(f"{SVG}text")] == ["4", "2026-11", "8", "2026-12"]
    empty = ET.fromstring(trend_chart("Nothing", "No responses", [], "e"))
    assert empty.find(f"{SVG}desc").text == "No responses"
    assert re.search(r'viewBox="0 0 360 \d+"', svg)  # drawn for a 360 px screen, scaled by the browser
