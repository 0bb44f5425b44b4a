"""The accessibility check itself: axe-core finds what a screen reader or a weak eye would trip on."""

from tests.browser import conftest
from tests.browser.conftest import check_accessibility

PAGE = """<!doctype html><html><head><title>Bad page</title></head><body><main>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<button></button>
<p style="color:#999;background:#aaa">Hardly readable</p>
</main></body></html>"""


def test_serious_and_critical_violations_are_listed_with_rule_place_and_help(open_page):
    page = open_page({"width": 1280, "height": 800})
    page.set_content(PAGE)
    check_accessibility(page)
    audit = conftest._audits[page]
    found = "\n".join(audit.violations)
    for rule in ("image-alt", "button-name", "html-has-lang", "color-contrast"):
        assert f"{rule} (" in found, found
    assert "at 360 px" in found and "at 1280 px" in found
    assert "img" in found and "https://dequeuniversity.com/rules/axe/" in found
    assert page.viewport_size == {"width": 1280, "height": 800}  # the journey goes on at its own width
    audit.violations.clear()  # seen here; the journey fixture would otherwise fail on them
