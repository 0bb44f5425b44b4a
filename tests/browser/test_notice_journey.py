"""A supplement request reaches the citizen's inbox and phone; they open the notice and supply the item.

The clerk asks for a clear photo of the ID card. On a 360 px phone, the citizen sees the unread count in
the header, opens the notices, reads the request, follows it to the application and sends the photo; the
count goes down. The same news went out as an SMS: it is on the mock brand-name gateway's page, delivered.
"""

import re

import pytest
from playwright.sync_api import expect

from onestop.accounts.models import Role
from onestop.extensions import db
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, screenshot
from tests.browser.test_back_office_journey import id_card_photo, sign_in
from tests.conftest import login
from tests.filing import fill_all_steps, pdf_bytes, send, upload
from tests.texting import serve_sms_gateway

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ID_CARD = "Thẻ căn cước hoặc căn cước công dân"
BLURRED = "Ảnh chụp thẻ bị mờ, chụp lại rõ hai mặt."


@pytest.fixture
def gateway(app, live_server, tmp_path, monkeypatch):
    with serve_sms_gateway(app, live_server, tmp_path, monkeypatch) as gateway:
        yield gateway


def test_the_citizen_hears_of_a_supplement_in_the_inbox_and_by_sms(
    app, live_server, gateway, open_page, create_citizen, create_staff, tmp_path
):
    citizen_user = create_citizen(full_name="Vũ Thị Hằng", email="hang@example.com", phone="0912345678")
    clerk_user = create_staff(Role.CLERK, "000.00.02.H99", "Lý Thị Hoa")
    client = app.test_client()
    login(client, citizen_user.email)
    application_id = fill_all_steps(client, fee_category="exempt")
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    assert send(client, application_id).status_code == 302
    db.session.expire_all()

    clerk = open_page(DESKTOP)
    sign_in(clerk, live_server, clerk_user.email)
    clerk.goto(f"{live_server}/office/applications/{application_id}")
    check_accessibility(clerk)
    clerk.get_by_text("Yêu cầu bổ sung hồ sơ", exact=True).click()
    clerk.get_by_role("checkbox", name=ID_CARD).check()
    clerk.get_by_role("textbox", name=re.compile(rf"^Thiếu gì hoặc sai gì\W+{ID_CARD}$")).fill(BLURRED)
    clerk.get_by_role("button", name="Gửi yêu cầu").click()
    expect(clerk.get_by_role("status")).to_contain_text("Đã gửi yêu cầu bổ sung cho người nộp")

    citizen = open_page(PHONE)
    sign_in(citizen, live_server, citizen_user.email)
    notices = citizen.get_by_role("navigation", name="Menu chính").get_by_role("link", name=re.compile("^Thông báo"))
    expect(notices).to_contain_text("2")  # submitted, and the supplement request
    expect(notices).to_contain_text("chưa đọc")
    notices.click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Thông báo")
    assert_no_sideways_scroll(citizen)
    screenshot(citizen, tmp_path, "notices-1-inbox", "phone")
    citizen.get_by_role("link", name=re.compile("cần bổ sung")).click()
    expect(citizen.get_by_role("main")).to_contain_text(BLURRED)
    assert_no_sideways_scroll(citizen)
    screenshot(citizen, tmp_path, "notices-2-notice", "phone")
    citizen.get_by_role("link", name="Mở hồ sơ").click()
    check_accessibility(citizen)

    asked = citizen.get_by_role("region", name="Cơ quan cần bạn bổ sung hồ sơ")
    asked.get_by_role("link", name="Bổ sung hồ sơ").click()
    check_accessibility(citizen)
    photo = citizen.get_by_role("region", name=ID_CARD)
    photo.get_by_label("Tải tệp lên").set_input_files(id_card_photo(tmp_path, "the-can-cuoc-ro.jpg", blurred=False))
    citizen.get_by_role("button", name="Gửi cho cơ quan").click()
    expect(citizen.get_by_role("status")).to_contain_text("Hồ sơ bổ sung đã được gửi đến cơ quan")
    expect(notices).to_contain_text("1")  # the submission notice is still unread

    # The SMS went out through the brand-name gateway, which lists it and reported it delivered.
    sms_page = open_page(PHONE)
    sms_page.goto(f"{gateway.url}/sms/messages")
    check_accessibility(sms_page)
    listed = sms_page.get_by_role("main")
    expect(listed).to_contain_text("84912345678")
    expect(listed).to_contain_text("cần bổ sung 1 mục")
    screenshot(sms_page, tmp_path, "notices-3-sms-gateway", "phone")
