"""A citizen signs their own declaration, 360 px wide: sets up a digital signature (QR code shown once), signs
the declaration of a draft with a TOTP code, sees it signed, and the signed file validates against the demo root.

The answers and the papers are given through the HTTP pages beforehand (other journeys walk the filing in a
browser); the signing service and the demo PKI run as real processes on loopback. Every page reached is checked
by axe-core and may not scroll sideways.
"""

import re
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
from playwright.sync_api import Page, expect

from onestop.signing.validation import validate_pdf
from tests.browser.conftest import assert_no_sideways_scroll, screenshot
from tests.conftest import PASSWORD, login
from tests.declarations.conftest import AUTHORISATION, authorisation_pdf, new_citizen
from tests.filing import fill_all_steps, pdf_bytes, upload
from tests.results.conftest import portal_signing  # noqa: F401  (fixture)
from tests.signing.conftest import fresh_code, signing_world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def sign_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/account/login")
    assert_no_sideways_scroll(page)
    page.get_by_label("Email, số điện thoại hoặc số định danh cá nhân").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất", exact=True)).to_be_visible()


def test_a_citizen_sets_up_a_signature_and_signs_the_declaration(
    live_server,
    open_page,
    tmp_path,
    app,
    demo,
    create_citizen,
    portal_signing,  # noqa: F811
):
    user = new_citizen(app, create_citizen, "Nguyễn Thị Mai", "mai-journey@example.com")
    client = app.test_client()
    login(client, user.email)
    application_id = fill_all_steps(client, fee_category="exempt")
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    upload(client, application_id, AUTHORISATION, authorisation_pdf(), "uy-quyen.pdf")

    citizen = open_page(PHONE)
    sign_in(citizen, live_server, user.email)
    citizen.goto(f"{live_server}/account/")
    assert_no_sideways_scroll(citizen)
    citizen.get_by_role("link", name="Thiết lập hoặc quản lý chữ ký số của bạn").click()
    expect(citizen.get_by_text("Chưa thiết lập")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    citizen.get_by_label("Mật khẩu của bạn").fill(PASSWORD)
    citizen.get_by_role("button", name="Thiết lập chữ ký số của tôi").click()
    expect(citizen.locator("svg.segno")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    screenshot(citizen, tmp_path, "citizen-signature-qr", "phone")
    secret = citizen.locator("code.digest").inner_text()
    assert re.fullmatch(r"[A-Z2-7]+", secret)
    totp = pyotp.TOTP(secret)
    citizen.get_by_role("link", name="Tôi đã quét mã").click()
    expect(citizen.get_by_text("Sẵn sàng: bạn có thể ký")).to_be_visible()
    expect(citizen.locator("svg.segno")).to_have_count(0)

    citizen.goto(f"{live_server}/applications/{application_id}/review")
    citizen.get_by_role("link", name="Ký tờ khai và giấy tờ bằng chữ ký số của bạn").click()
    expect(citizen.get_by_role("heading", name="Ký giấy tờ của bạn")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    citizen.get_by_role("link", name=re.compile(r"^Ký Tờ khai")).click()
    expect(citizen.get_by_text("SHA-256 of what you sign").or_(citizen.get_by_text("Mã băm SHA-256"))).to_be_visible()
    assert_no_sideways_scroll(citizen)
    screenshot(citizen, tmp_path, "citizen-sign-declaration", "phone")
    citizen.get_by_label("Mã dùng một lần").fill(fresh_code(totp))
    citizen.get_by_role("button", name="Ký", exact=True).click()
    expect(citizen.get_by_role("status")).to_contain_text("Đã ký.", timeout=60_000)
    assert_no_sideways_scroll(citizen)

    citizen.goto(f"{live_server}/applications/{application_id}/sign")
    expect(citizen.get_by_text("Đã ký", exact=True)).to_be_visible()
    citizen.goto(f"{live_server}/applications/{application_id}/review")
    expect(citizen.get_by_text("Người nộp đã ký")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    screenshot(citizen, tmp_path, "citizen-declaration-signed", "phone")
    citizen.goto(f"{live_server}/warehouse")
    assert_no_sideways_scroll(citizen)
    href = citizen.get_by_role("link", name=re.compile(r"^Tải xuống Tờ khai")).get_attribute("href")
    pdf = citizen.request.get(live_server + href).body()
    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's loop runs in this thread
        report = pool.submit(validate_pdf, pdf, portal_signing.settings.trust_roots).result()
    assert report.is_genuine and report.signer_name == "Nguyễn Thị Mai", report
