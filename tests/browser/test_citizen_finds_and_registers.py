"""A citizen finds a procedure without typing accents, then creates an account, confirms it by e-mail and signs in.

Runs on a phone (360 px wide) and a desktop viewport. Screenshots of the main pages go to the test's
tmp_path; the phone ones are also copied to var/screenshots/ for people to look at.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_sideways_scroll, screenshot, wait_for_mail

pytestmark = pytest.mark.browser

PROCEDURE = "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"
FULL_NAME = "Nguyễn Thị Hoa"
EMAIL = "hoa@example.com"
PASSWORD = "matkhau2026"


@pytest.mark.parametrize(
    ("device", "viewport", "citizen_id"),
    [
        pytest.param("phone", {"width": 360, "height": 740}, "001190067891", id="phone"),
        pytest.param("desktop", {"width": 1280, "height": 800}, "001190067890", id="desktop"),
    ],
)
def test_citizen_finds_procedure_then_registers_and_signs_in(
    page, live_server, smtp_server, demo, app, tmp_path, server_trouble, device, citizen_id
):
    # 1. Home page: the first Tab reaches the skip link, which shows itself.
    page.goto(f"{live_server}/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert (focused.get_attribute("href") or "").endswith("#main"), "the first Tab stop is not the skip link"
    box = focused.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    page.keyboard.press("Shift+Tab")  # leave the page as a visitor first sees it, for the screenshot
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"{device}-1-home", device)

    # Search without accents; the criminal record certificate comes first.
    expect(page.locator('label[for="q"]')).to_be_visible()
    search = page.locator("#q")
    search.fill("ly lich tu phap")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/procedures\?(.*&)?q=ly\+lich\+tu\+phap"))
    first = page.locator('[aria-labelledby="results-heading"] > li').first.get_by_role("link")
    expect(first).to_have_text(PROCEDURE)
    assert_no_sideways_scroll(page)
    first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    expect(page.locator("main")).to_contain_text("200.000 đ")
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"{device}-2-procedure", device)

    # 2. Register from the header link; a mistyped second password is caught and nothing typed is lost.
    page.locator('header a[href="/account/register"]').click()
    expect(page).to_have_url(f"{live_server}/account/register")
    page.locator("#full_name").fill(FULL_NAME)
    page.locator("#citizen_id").fill(citizen_id)
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_again").fill(PASSWORD + "x")
    page.locator("#consent").check()
    create_account = page.locator("main form button[type=submit]")
    create_account.click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#password_again"]')).to_be_visible()
    expect(page.locator("#full_name")).to_have_value(FULL_NAME)
    expect(page.locator("#citizen_id")).to_have_value(citizen_id)
    expect(page.locator("#email")).to_have_value(EMAIL)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"{device}-3-register-errors", device)

    page.locator("#password").fill(PASSWORD)
    page.locator("#password_again").fill(PASSWORD)
    page.locator("#consent").check()
    create_account.click()
    expect(page).to_have_url(f"{live_server}/account/check-email")
    expect(page.locator("main")).to_contain_text(EMAIL)
    assert_no_sideways_scroll(page)

    # 3. The confirmation e-mail arrives over SMTP; its link confirms the address and leads to sign-in.
    [mail] = wait_for_mail(smtp_server)
    assert [address.addr_spec for address in mail["To"].addresses] == [EMAIL]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"https?://\S+", body)
    assert found, f"no link in the confirmation e-mail: {body!r}"
    public_url = app.config["PUBLIC_URL"].rstrip("/")
    assert found.group(0).startswith(f"{public_url}/"), f"the link does not use PUBLIC_URL: {found.group(0)}"
    page.goto(live_server + found.group(0).removeprefix(public_url))
    expect(page).to_have_url(f"{live_server}/account/login")
    assert_no_sideways_scroll(page)

    # 4. Sign in with the citizen ID number.
    page.locator("#login").fill(citizen_id)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/account/")
    expect(page.locator("main")).to_contain_text(FULL_NAME)
    expect(page.locator("main")).to_contain_text(citizen_id)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"{device}-4-account", device)

    assert server_trouble == []
