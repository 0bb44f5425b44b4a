"""A new citizen files a criminal record certificate online, end to end, then checks its status without signing in.

Registration and e-mail confirmation go through the real SMTP server; the ID card is reused from the
citizen's data warehouse, the passport is uploaded as a new file; the repeating group of places grows
and shrinks without JavaScript; the receipt's code and PIN work in the public status lookup.

Runs on a phone (360 px wide) and a desktop viewport. Screenshots of the main pages go to the test's
tmp_path; the phone ones are also copied to var/screenshots/filing-*.png for people to look at.
"""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from pypdf import PdfWriter

from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, screenshot, wait_for_mail

pytestmark = pytest.mark.browser

PROCEDURE = "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"
AGENCY = "Công an tỉnh Minh Sơn"
WARD = "Phường Đông Thành"
FULL_NAME = "Phạm Thị Lan"
PASSWORD = "matkhau2026"
STREET = "12 Đường Lê Lợi"
PHONE = "0912345678"
PURPOSE = "Bổ sung hồ sơ xin việc"
NEW_PURPOSE = "Hồ sơ du học"
ID_CARD_TYPE = "Thẻ căn cước hoặc căn cước công dân"
ID_CARD_FILE = "the-can-cuoc-pham-thi-lan.pdf"
ID_CARD_TITLE = "Thẻ căn cước của tôi"
ID_CARD_EXPIRES = "05/06/2032"  # the card is renewed at 40
PASSPORT_FILE = "ho-chieu.png"
CODE = re.compile(r"^000\.00\.02\.H99-\d{6}-\d{4}$")
# Receipt PINs avoid 0/O and 1/I, which are easily confused when read aloud or typed.
PIN = re.compile(r"^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}$")


def local_path(app, link: str) -> str:
    """The path of a link the app wrote with PUBLIC_URL, to open on the live server."""
    public_url = app.config["PUBLIC_URL"].rstrip("/")
    assert link.startswith(f"{public_url}/"), f"the link does not use PUBLIC_URL: {link}"
    return link.removeprefix(public_url)


def link_in_mail(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"https?://\S+", body)
    assert found, f"no link in the e-mail: {body!r}"
    return found.group(0)


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def passport_scan(tmp_path):
    """A real PNG, roughly the shape of a passport's photo page."""
    image = Image.new("RGB", (880, 620), "#f4efe6")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 140, 300, 480), outline="#555555", width=4)
    for y in range(160, 480, 48):
        draw.line((340, y, 820, y), fill="#888888", width=6)
    path = tmp_path / PASSPORT_FILE
    image.save(path, format="PNG")
    return path


def continue_button(page: Page):
    # The step form also holds a visually hidden "continue" button first, for the Enter key.
    return page.locator("main form .actions button[name=action][value=continue]")


def slot(page: Page, type_code: str):
    return page.locator(f'section.slot[aria-labelledby="slot-{type_code}"]')


@pytest.mark.parametrize(
    ("device", "viewport", "citizen_id", "email"),
    [
        pytest.param("phone", {"width": 360, "height": 740}, "001192034561", "lan.phone@example.com", id="phone"),
        pytest.param(
            "desktop", {"width": 1280, "height": 800}, "001192034562", "lan.desktop@example.com", id="desktop"
        ),
    ],
)
def test_citizen_files_an_application_and_follows_it(
    page, live_server, smtp_server, demo, app, tmp_path, server_trouble, device, citizen_id, email
):
    # 1. Register, confirm the e-mail address through the link that arrives over SMTP, sign in.
    page.goto(f"{live_server}/account/register")
    check_accessibility(page)
    page.locator("#full_name").fill(FULL_NAME)
    page.locator("#citizen_id").fill(citizen_id)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_again").fill(PASSWORD)
    page.locator("#consent").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/account/check-email")
    check_accessibility(page)
    [confirmation] = wait_for_mail(smtp_server, 1)
    assert [address.addr_spec for address in confirmation["To"].addresses] == [email]
    page.goto(live_server + local_path(app, link_in_mail(confirmation)))
    expect(page).to_have_url(f"{live_server}/account/login")
    check_accessibility(page)
    page.locator("#login").fill(citizen_id)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/account/")
    check_accessibility(page)

    # 2. Ahead of filing, the citizen puts a scan of their ID card into their data warehouse.
    id_card_scan = tmp_path / ID_CARD_FILE
    id_card_scan.write_bytes(pdf_bytes())
    page.locator('nav.main-nav a[href="/warehouse"]').click()
    page.locator('main a[href="/warehouse/upload"]').click()
    expect(page).to_have_url(f"{live_server}/warehouse/upload")
    page.locator("#document_type").select_option(label=ID_CARD_TYPE)
    page.locator("#title").fill(ID_CARD_TITLE)
    page.locator("#issuer").fill("Cục Cảnh sát quản lý hành chính về trật tự xã hội")
    page.locator("#number").fill(citizen_id)
    for prefix, (day, month, year) in (("issued", ("12", "8", "2021")), ("expires", ID_CARD_EXPIRES.split("/"))):
        page.locator(f"#{prefix}_day").fill(day)
        page.locator(f"#{prefix}_month").fill(month)
        page.locator(f"#{prefix}_year").fill(year)
    page.locator("#file").set_input_files(id_card_scan)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-0-warehouse-upload", device)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/warehouse")
    expect(page.locator("main table")).to_contain_text(ID_CARD_TITLE)
    expect(page.locator("main table")).to_contain_text(ID_CARD_FILE)
    assert_no_sideways_scroll(page)

    # 3. From the catalogue to the procedure, then "apply online".
    page.locator('nav.main-nav a[href="/procedures"]').click()
    expect(page).to_have_url(f"{live_server}/procedures")
    assert_no_sideways_scroll(page)
    page.locator('[aria-labelledby="results-heading"]').get_by_role("link", name=PROCEDURE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    assert_no_sideways_scroll(page)
    apply = page.locator('main form[action$="/apply"] button[type=submit]')
    expect(apply).to_have_text("Nộp hồ sơ trực tuyến")
    apply.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/applications/\d+/steps/applicant$"))
    application_url = re.match(r".*/applications/\d+", page.url).group(0)

    # 4a. Step 1: prefilled from the account; a missing date of birth is caught and nothing typed is lost.
    expect(page.locator(".progress")).to_contain_text("Bước 1/5")
    expect(page.locator("#full_name")).to_have_value(FULL_NAME)
    expect(page.locator("#citizen_id")).to_have_value(citizen_id)
    page.locator("#gender-female").check()
    page.locator("#address-unit").select_option(label=WARD)
    page.locator("#address-street").fill(STREET)
    page.locator("#phone").fill(PHONE)
    continue_button(page).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_count(1)
    expect(summary.locator('a[href="#birth_date-day"]')).to_be_visible()
    expect(page.locator("#birth_date-day")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#full_name")).to_have_value(FULL_NAME)
    expect(page.locator("#citizen_id")).to_have_value(citizen_id)
    expect(page.locator("#gender-female")).to_be_checked()
    expect(page.locator("#address-unit")).to_have_value("99101")
    expect(page.locator("#address-street")).to_have_value(STREET)
    expect(page.locator("#phone")).to_have_value(PHONE)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-1-applicant-errors", device)

    page.locator("#birth_date-day").fill("5")
    page.locator("#birth_date-month").fill("6")
    page.locator("#birth_date-year").fill("1992")
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/steps/certificate")

    # 4b. Step 2: the certificate.
    expect(page.locator(".progress")).to_contain_text("Bước 2/5")
    page.locator("#kind").check()
    page.locator("#copies").fill("2")
    page.locator("#purpose").fill(PURPOSE)
    assert_no_sideways_scroll(page)
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/steps/residence")

    # 4c. Step 3: "yes" reveals the places (no JavaScript: the page comes back with them, without errors).
    expect(page.locator("#places-0-place")).to_have_count(0)
    page.locator("#lived_elsewhere").check()
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/steps/residence")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#lived_elsewhere")).to_be_checked()
    page.locator("#places-0-place").fill("Hà Nội")
    page.locator("#places-0-from_year").fill("2008")
    page.locator("#places-0-to_year").fill("2012")
    page.locator("button[name=action][value='add:places']").click()
    expect(page.locator("#places-1-place")).to_be_visible()
    expect(page.locator("#places-0-place")).to_have_value("Hà Nội")
    page.locator("#places-1-place").fill("Đà Nẵng")
    page.locator("#places-1-from_year").fill("2012")
    page.locator("#places-1-to_year").fill("2015")
    expect(page.locator("fieldset.group-item")).to_have_count(2)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-2-residence-two-places", device)

    page.locator("button[name=action][value='remove:places:0']").click()
    expect(page.locator("fieldset.group-item")).to_have_count(1)
    expect(page.locator("#places-0-place")).to_have_value("Đà Nẵng")
    expect(page.locator("#places-0-from_year")).to_have_value("2012")
    expect(page.locator("#places-1-place")).to_have_count(0)
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/documents")

    # 5. Documents: reuse the ID card from the warehouse, upload a new passport scan.
    expect(page.locator(".progress")).to_contain_text("Bước 4/5")
    id_card = slot(page, "the-can-cuoc")
    expect(id_card.locator("#reuse-the-can-cuoc")).to_be_checked()
    reuse_label = id_card.locator('label[for="reuse-the-can-cuoc"]')
    expect(reuse_label).to_contain_text(f"{ID_CARD_TITLE} – {ID_CARD_FILE}")
    expect(reuse_label).to_contain_text(ID_CARD_EXPIRES)
    expect(slot(page, "ho-chieu").locator("form.reuse")).to_have_count(0)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-3-documents", device)

    id_card.locator("form.reuse button[name=action][value=reuse]").click()
    expect(page).to_have_url(f"{application_url}/documents")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(id_card.locator("form.attached")).to_contain_text(ID_CARD_FILE)
    expect(id_card.locator("form.reuse")).to_have_count(0)

    passport = slot(page, "ho-chieu")
    passport.locator("#file-ho-chieu").set_input_files(passport_scan(tmp_path))
    passport.locator("form.upload button[name=action][value=upload]").click()
    expect(page).to_have_url(f"{application_url}/documents")
    expect(passport.locator("form.attached")).to_contain_text(PASSPORT_FILE)
    expect(id_card.locator("form.attached")).to_contain_text(ID_CARD_FILE)
    expect(page.locator("#error-summary")).to_have_count(0)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-4-documents-attached", device)
    page.locator(f'main a.button[href="{application_url.removeprefix(live_server)}/review"]').click()

    # 6. Check your answers; change one answer and come straight back.
    expect(page).to_have_url(f"{application_url}/review")
    answers = page.locator("main dl.answers dd")
    for shown in (FULL_NAME, "05/06/1992", citizen_id, f"{STREET}, {WARD}", PHONE, PURPOSE, "Đà Nẵng", ID_CARD_FILE):
        expect(answers.filter(has_text=shown).first).to_be_visible()
    expect(answers.filter(has_text=PASSPORT_FILE)).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("Hà Nội")
    expect(page.locator("#error-summary")).to_have_count(0)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-5-review", device)

    page.get_by_role("link", name="Sửa Mục đích sử dụng Phiếu").click()
    expect(page).to_have_url(f"{application_url}/steps/certificate?change=1")
    expect(page.locator("#purpose")).to_have_value(PURPOSE)
    page.locator("#purpose").fill(NEW_PURPOSE)
    continue_button(page).click()
    expect(page).to_have_url(f"{application_url}/review")
    expect(page.locator("main")).to_contain_text(NEW_PURPOSE)
    expect(page.locator("main")).not_to_contain_text(PURPOSE)

    page.locator("#delivery").check()
    expect(page.locator("#delivery")).to_have_attribute("value", "online")
    page.locator('main form[action$="/submit"] button[type=submit]').click()

    # 7. The receipt: the code and the PIN, and an e-mail with both and a link to follow the application.
    expect(page).to_have_url(f"{application_url}/receipt")
    codes = page.locator(".panel-success strong.code")
    expect(codes).to_have_count(2)
    code, pin = (text.strip() for text in codes.all_inner_texts())
    assert CODE.match(code), f"unexpected application code {code!r}"
    assert PIN.match(pin), f"unexpected lookup PIN {pin!r}"
    expect(page.locator("main")).to_contain_text(AGENCY)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-6-receipt", device)

    wait_for_mail(smtp_server, 2)
    # The agency's clerks hear of the new file too; the receipt is the citizen's.
    [receipt_mail] = [message for message in smtp_server if code in message["Subject"] and email in message["To"]]
    assert [address.addr_spec for address in receipt_mail["To"].addresses] == [email]
    mail_body = receipt_mail.get_body(preferencelist=("plain",)).get_content()
    assert code in mail_body and pin in mail_body, mail_body
    page.goto(live_server + local_path(app, link_in_mail(receipt_mail)))
    expect(page).to_have_url(application_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    status = page.locator("main dl.summary-list")
    expect(status.locator("dt", has_text="Đang được xử lý tại").locator("+ dd")).to_have_text(AGENCY)
    expect(status).to_contain_text(code)
    expect(status).to_contain_text("Đã gửi, đang chờ cơ quan kiểm tra")
    events = page.locator("main ol.timeline[aria-labelledby=history] > li")
    expect(events).to_have_count(2)
    expect(events.nth(0)).to_contain_text(f"Bạn đã gửi hồ sơ đến {AGENCY}.")
    expect(events.nth(1)).to_contain_text("Bạn đã bắt đầu khai hồ sơ.")
    assert_no_sideways_scroll(page)

    # 8. Signed out, anyone with the code and the PIN can check the status; a wrong citizen ID finds nothing.
    page.locator('header form[action="/account/logout"] button[type=submit]').click()
    expect(page.locator('header a[href="/account/login"]')).to_be_visible()
    check_accessibility(page)
    page.locator('nav.main-nav a[href="/status"]').click()
    expect(page).to_have_url(f"{live_server}/status")
    check_accessibility(page)
    page.locator("#code").fill(code)
    page.locator("#secret").fill(pin)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    expect(page.locator("main")).to_contain_text(PROCEDURE)
    expect(page.locator("main")).to_contain_text(AGENCY)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"filing-{device}-7-status", device)

    page.locator('main a[href="/status"]').click()
    page.locator("#code").fill(code)
    page.locator("#secret").fill("001192099999")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .notice")).to_contain_text("Không tìm thấy hồ sơ")
    expect(page.locator("main")).not_to_contain_text(FULL_NAME)
    expect(page.locator("main")).not_to_contain_text(AGENCY)
    assert_no_sideways_scroll(page)

    assert server_trouble == []
