"""Two citizens file the criminal record certificate (fee due as it is sent) and pay on the mock gateway.

The portal and the mock VNPay gateway both run over real HTTP on loopback; the gateway's IPN goes to
the portal, the portal's querydr and refund calls go to the gateway. One citizen pays at once, comes
back to the portal and opens the receipt (biên lai) PDF; the other cancels on the gateway, is told
nothing was charged, and pays later from the application page. Phone-sized screenshots go to
var/screenshots/payment-*.png.
"""

import io
import re
import time

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, screenshot
from tests.conftest import PASSWORD
from tests.filing import pdf_bytes
from tests.paying import serve_gateway

pytestmark = pytest.mark.browser

PROCEDURE_URL = "/procedures/cap-phieu-ly-lich-tu-phap"
WARD = "Phường Đông Thành"


@pytest.fixture
def viewport():
    return {"width": 360, "height": 740}


@pytest.fixture
def gateway(app, live_server, tmp_path, monkeypatch):
    with serve_gateway(app, live_server, tmp_path, monkeypatch) as gateway:
        yield gateway


def continue_button(page: Page):
    return page.locator("main form .actions button[name=action][value=continue]")


def sign_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/account/login")
    check_accessibility(page)
    page.locator("#login").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/account/")
    check_accessibility(page)


def file_certificate(page: Page, live_server: str, tmp_path, device: str) -> str:
    """File the certificate for one copy; returns the application's URL. Ends on the receipt page."""
    page.goto(live_server + PROCEDURE_URL)
    check_accessibility(page)
    page.locator('main form[action$="/apply"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r".*/applications/\d+/steps/applicant$"))
    check_accessibility(page)
    application_url = re.match(r".*/applications/\d+", page.url).group(0)
    page.locator("#gender-female").check()
    page.locator("#birth_date-day").fill("5")
    page.locator("#birth_date-month").fill("6")
    page.locator("#birth_date-year").fill("1992")
    page.locator("#address-unit").select_option(label=WARD)
    page.locator("#address-street").fill("12 Đường Lê Lợi")
    page.locator("#phone").fill("0912345678")
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/steps/certificate")
    check_accessibility(page)
    page.locator("#kind").check()
    page.locator("#copies").fill("3")
    page.locator("#purpose").fill("Xin việc")
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/steps/residence")
    check_accessibility(page)
    page.locator("#lived_elsewhere-no").check()
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/documents")
    check_accessibility(page)
    scan = tmp_path / "the-can-cuoc.pdf"
    scan.write_bytes(pdf_bytes())
    page.locator("#file-the-can-cuoc").set_input_files(scan)
    page.locator('section.slot[aria-labelledby="slot-the-can-cuoc"] form.upload button[value=upload]').click()
    page.locator(f'main a.button[href="{application_url.removeprefix(live_server)}/review"]').click()
    expect(page).to_have_url(f"{application_url}/review")
    # The fee and how it is computed, for these answers, before anything is paid: 200.000 + 1 × 5.000.
    fee = page.locator("main dl.fee-quote")
    expect(fee).to_contain_text("Phí cấp Phiếu lý lịch tư pháp")
    expect(fee).to_contain_text("5.000 đ × 1 = 5.000 đ")
    expect(fee.locator(".fee-total")).to_have_text("205.000 đ")
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"payment-{device}-1-review-fee", device)
    page.locator("#delivery").check()
    page.locator('main form[action$="/submit"] button[type=submit]').click()
    expect(page).to_have_url(f"{application_url}/receipt")
    return application_url


def pay_on_gateway(page: Page, gateway_url: str, outcome: str) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(gateway_url)}/paymentv2/vpcpay\.html\?"))
    expect(page.locator(".amount")).to_have_text("205.000 ₫")
    check_accessibility(page)
    page.locator(f"input[name=outcome][value={outcome}]").check()
    page.locator("form button[type=submit]").click()


def test_citizens_pay_now_or_cancel_and_pay_later(
    page, live_server, gateway, demo, app, create_citizen, tmp_path, server_trouble
):
    device = "phone"
    # 1. The first citizen files; the receipt page asks for the fee without having blocked the sending.
    first = create_citizen(full_name="Phạm Thị Lan", citizen_id="001192034571")
    sign_in(page, live_server, first.email)
    application_url = file_certificate(page, live_server, tmp_path, device)
    panel = page.locator("section.payment-panel")
    expect(panel.locator(".payment-due")).to_contain_text("205.000 đ")
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"payment-{device}-2-receipt-pay", device)

    # 2. Pay: the amount and its explanation, then the gateway, then back to the portal.
    panel.get_by_role("link", name="Nộp phí trực tuyến").click()
    expect(page).to_have_url(f"{application_url}/pay")
    expect(page.locator("main dl.fee-quote .fee-total")).to_have_text("205.000 đ")
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"payment-{device}-3-pay", device)
    page.get_by_role("button", name="Nộp 205.000 đ ngay").click()
    pay_on_gateway(page, gateway.url, "success")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/payments/vnpay/return\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Đã nhận tiền")
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"payment-{device}-4-paid", device)

    # 3. The receipt appears on the application page (issued in the background) and is a real PDF.
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    expect(page).to_have_url(application_url)
    receipt = page.locator("section.payment-panel a", has_text="Biên lai")
    deadline = time.monotonic() + 15
    while receipt.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    expect(receipt).to_be_visible()
    expect(page.locator("section.payment-panel .payment-paid")).to_contain_text("Đã nộp 205.000 đ")
    screenshot(page, tmp_path, f"payment-{device}-5-receipt-link", device)
    download = page.request.get(live_server + receipt.get_attribute("href"))
    assert download.ok and download.body().startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.body())).pages)
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ" in text and "205.000 đ" in text and "Phạm Thị Lan" in text
    page.goto(f"{live_server}/warehouse")
    expect(page.locator("main")).to_contain_text("Biên lai thu phí, lệ phí")
    check_accessibility(page)
    page.locator('header form[action="/account/logout"] button[type=submit]').click()
    expect(page.locator('header a[href="/account/login"]')).to_be_visible()
    check_accessibility(page)

    # 4. The second citizen cancels on the gateway: nothing charged, the fee still due, pay later.
    second = create_citizen(full_name="Đỗ Văn Minh", citizen_id="001092034572")
    sign_in(page, live_server, second.email)
    second_url = file_certificate(page, live_server, tmp_path, device)
    page.locator("section.payment-panel").get_by_role("link", name="Nộp phí trực tuyến").click()
    page.get_by_role("button", name="Nộp 205.000 đ ngay").click()
    pay_on_gateway(page, gateway.url, "cancelled")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán chưa hoàn tất")
    expect(page.locator("main")).to_contain_text("Bạn chưa bị trừ tiền")
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"payment-{device}-6-cancelled", device)
    page.get_by_role("link", name="Nộp sau").click()
    expect(page).to_have_url(second_url)
    panel = page.locator("section.payment-panel")
    expect(panel).to_contain_text("Lần thanh toán trước chưa hoàn tất")
    expect(panel.locator(".payment-due")).to_contain_text("205.000 đ")
    screenshot(page, tmp_path, f"payment-{device}-7-pay-later", device)

    # 5. Later: pay from the application page.
    panel.get_by_role("link", name="Nộp phí trực tuyến").click()
    page.get_by_role("button", name="Nộp 205.000 đ ngay").click()
    pay_on_gateway(page, gateway.url, "success")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đã nhận tiền")
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    expect(page.locator("section.payment-panel .payment-paid")).to_contain_text("Đã nộp 205.000 đ")
    expect(page.locator("section.payment-panel .payment-due")).to_have_count(0)

    assert server_trouble == []
