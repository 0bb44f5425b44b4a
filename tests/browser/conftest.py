"""Browser journeys: the session app served over real HTTP, a real SMTP server, Debian's chromium.

The live server serves the same session `app` (and so the same database, SQLite or PostgreSQL) as
the rest of the suite; the autouse `_clean` fixture empties the tables after each journey.
"""

import os
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


@pytest.fixture(scope="session")
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


@pytest.fixture
def open_page(browser, server_trouble):
    """Opens pages in browser contexts of their own (one per person, so each has its own session)."""
    contexts = []

    def _open(viewport: dict):
        context = browser.new_context(viewport=viewport, locale="vi-VN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()

        def _response(response):
            if response.status >= 500:
                server_trouble.append(f"{response.status} {response.request.method} {response.url}")

        page.on("response", _response)
        page.on("pageerror", lambda error: server_trouble.append(f"script error: {error}"))
        return page

    try:
        yield _open
    finally:
        if server_trouble:
            print("Trouble seen by the browser:", *server_trouble, sep="\n  ")
        for context in contexts:
            context.close()


@pytest.fixture
def page(open_page, viewport):
    return open_page(viewport)


def assert_no_sideways_scroll(page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, (
        f"{page.url} scrolls sideways: content is {scroll_width} px wide in a {inner_width} px window"
    )


def screenshot(page, tmp_path, name: str, device: str) -> None:
    """Into the test's folder; phone screenshots also into var/screenshots/ for people to look at."""
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
