"""Browser journeys: the session app served over real HTTP, a real SMTP server, Debian's chromium.

The live server serves the same session `app` (and so the same database, SQLite or PostgreSQL) as
the rest of the suite; the autouse `_clean` fixture empties the tables after each journey.
"""

import hashlib
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent
# axe-core, installed by `make test` from package.json (npm ci).
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ACCESSIBILITY_WIDTHS = (360, 1280)
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser journey, whatever its module says."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app):
    """The session app served on a free port of 127.0.0.1; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in the test thread while it
# is started, and the tests after the journeys (signing, verification) call asyncio.run() there.
@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --- shared by the journeys -----------------------------------------------------------------------

SCREENSHOTS = ROOT / "var" / "screenshots"
MAIL_WAIT = 10.0


@pytest.fixture
def server_trouble():
    """Server errors (5xx) and uncaught page script errors seen during the journey."""
    return []


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        message = f"{AXE_SCRIPT} is missing: run `npm ci` (make test does) to check the pages' accessibility"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT.read_text(encoding="utf-8")


# A page of the same kind and markup is checked once per session, whichever journey (and viewport) reaches
# it: what differs between two citizens' timelines (names, dates, codes, typed values, links) is data.
# Text is kept as "there is some" or "there is none", since an empty link or heading is a violation.
_checked_states: set[str] = set()
_DATA = [
    (re.compile(r'\s(value|href|action|src|content)="[^"]*"'), r' \1=""'),
    (re.compile(r">\s*[^<\s][^<]*<"), ">t<"),
]


class AccessibilityAudit:
    """axe-core on the pages of one browser context, at 360 and 1280 px; serious and critical violations kept.

    Every HTML page the context is served is noted; a kind of page (its path, numbers aside) that the
    journey reached but never checked is reported at the end, so that no journey (or new step of one)
    passes through a page unchecked.
    """

    def __init__(self, axe_source: str):
        self.axe_source = axe_source
        self.served: list[str] = []
        self.checked: set[str] = set()
        self.violations: list[str] = []

    def note_response(self, response) -> None:
        request = response.request
        if (
            request.resource_type == "document"
            and request.frame.parent_frame is None
            and not 300 <= response.status < 400
            and (response.headers.get("content-type") or "").startswith("text/html")
        ):
            self.served.append(response.url)

    def check(self, page) -> None:
        self.checked.add(_kind(page.url))
        markup = page.content()
        for pattern, replacement in _DATA:
            markup = pattern.sub(replacement, markup)
        state = hashlib.sha256(f"{_kind(page.url)}\n{markup}".encode()).hexdigest()
        if state in _checked_states:
            return
        _checked_states.add(state)
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated rather than added as a <script>: the pages' policy (script-src 'self') would refuse that.
            page.evaluate(self.axe_source)
        original = page.viewport_size
        try:
            for width in ACCESSIBILITY_WIDTHS:
                page.set_viewport_size({"width": width, "height": original["height"]})
                for violation in page.evaluate(_RUN_AXE, list(BLOCKING_IMPACTS)):
                    targets = "; ".join(violation["targets"])
                    self.violations.append(
                        f"{_address(page.url)} at {width} px: {violation['id']} ({violation['impact']}): "
                        f"{violation['help']} [{targets}] {violation['helpUrl']}"
                    )
        finally:
            page.set_viewport_size(original)

    def unchecked(self) -> list[str]:
        return sorted({_kind(url) for url in self.served} - self.checked)


_RUN_AXE = """async (impacts) => {
  const results = await window.axe.run(document, {resultTypes: ['violations']});
  return results.violations
    .filter((violation) => impacts.includes(violation.impact))
    .map((violation) => ({
      id: violation.id, impact: violation.impact, help: violation.help, helpUrl: violation.helpUrl,
      targets: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
    }));
}"""


def _address(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _kind(url: str) -> str:
    """The page whatever record it shows: /applications/12/steps/applicant?change=1 is /applications/N/steps/…"""
    return re.sub(r"\d+", "N", _address(url).split("?", 1)[0].split("#", 1)[0])


_audits: dict = {}


def check_accessibility(page) -> None:
    """Run axe-core on the page as it is now, at 360 and 1280 px wide; call it on every page a journey reaches.

    Serious and critical violations are listed at the end of the journey (rule, where, how to fix).
    """
    _audits[page].check(page)


@pytest.fixture
def open_page(browser, server_trouble, axe_source):
    """Opens pages in browser contexts of their own (one per person, so each has its own session)."""
    contexts = []
    audits: list[AccessibilityAudit] = []

    def _open(viewport: dict):
        context = browser.new_context(viewport=viewport, locale="vi-VN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        audit = AccessibilityAudit(axe_source)
        audits.append(audit)
        _audits[page] = audit

        def _response(response):
            if response.status >= 500:
                server_trouble.append(f"{response.status} {response.request.method} {response.url}")
            audit.note_response(response)

        page.on("response", _response)
        page.on("pageerror", lambda error: server_trouble.append(f"script error: {error}"))
        return page

    try:
        yield _open
    finally:
        if server_trouble:
            print("Trouble seen by the browser:", *server_trouble, sep="\n  ")
        for context in contexts:
            for page in context.pages:
                _audits.pop(page, None)
            context.close()
    problems = [violation for audit in audits for violation in audit.violations]
    unchecked = {kind for audit in audits for kind in audit.unchecked()}
    unchecked -= {kind for audit in audits for kind in audit.checked}
    problems += [f"{kind}: reached but never checked (call check_accessibility on it)" for kind in sorted(unchecked)]
    if problems:
        impacts = " or ".join(BLOCKING_IMPACTS)
        pytest.fail(f"Accessibility problems ({impacts} by axe-core):\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def page(open_page, viewport):
    return open_page(viewport)


def assert_no_sideways_scroll(page) -> None:
    check_accessibility(page)
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, (
        f"{page.url} scrolls sideways: content is {scroll_width} px wide in a {inner_width} px window"
    )


def screenshot(page, tmp_path, name: str, device: str) -> None:
    """Into the test's folder; phone screenshots also into var/screenshots/ for people to look at."""
    check_accessibility(page)
    path = tmp_path / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    if device == "phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / path.name)


def wait_for_mail(messages: list, count: int = 1, timeout: float = MAIL_WAIT) -> list:
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(messages) >= count, f"only {len(messages)} of {count} e-mails reached the SMTP server in {timeout:.0f} s"
    return messages


def sign_in(page, live_server: str, login: str) -> None:
    """Sign in through the login page as a person does (labels in Vietnamese), each page checked with axe-core."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    page.goto(f"{live_server}/account/login")
    check_accessibility(page)
    page.get_by_label("Email, số điện thoại hoặc số định danh cá nhân").fill(login)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất", exact=True)).to_be_visible()
    check_accessibility(page)
