"""The signed result, 360 px wide: the specialist corrects the draft, the leader approves and signs with a TOTP
code, the citizen downloads the signed PDF from their warehouse and it validates against the demo root.

The filing, acceptance, assignment and proposal are done through the HTTP pages beforehand (other journeys walk
them in a browser); the signing service and the demo PKI run as real processes on loopback. Every page reached
is checked by axe-core and may not scroll sideways.
"""

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from onestop.signing.validation import validate_pdf
from tests.browser.conftest import assert_no_sideways_scroll, screenshot
from tests.conftest import PASSWORD
from tests.office.conftest import POLICE, act, as_staff, file_lltp
from tests.results.conftest import enrol_staff, portal_signing, signing_config, staff  # noqa: F401  (fixtures)
from tests.signing.conftest import fresh_code, signing_world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
STATUS = "Không có án tích trong cơ sở dữ liệu lý lịch tư pháp của tỉnh."


def off_the_loop(function, *args):
    """Playwright's sync API keeps an event loop running in this thread; the signing client runs its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def sign_in(page: Page, live_server: str, login: str) -> None:
    page.goto(f"{live_server}/account/login")
    assert_no_sideways_scroll(page)
    page.get_by_label("Email, số điện thoại hoặc số định danh cá nhân").fill(login)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất", exact=True)).to_be_visible()
    assert_no_sideways_scroll(page)


def test_a_result_is_drafted_signed_and_downloaded(
    live_server,
    open_page,
    tmp_path,
    app,
    demo,
    create_citizen,
    staff,  # noqa: F811
    signing_config,  # noqa: F811
):
    _citizen, application_id, _client = file_lltp(app, create_citizen, fee_category="exempt")
    clients = {role: as_staff(app, user) for role, user in staff.items()}
    act(clients["clerk"], application_id, "accept")
    act(clients["leader"], application_id, "assign", {"specialist": staff["specialist"].id})
    leader_row = SimpleNamespace(id=staff["leader"].id, full_name=staff["leader"].full_name)
    totp = off_the_loop(enrol_staff, signing_config, leader_row, POLICE)
    file_url = f"{live_server}/office/applications/{application_id}"

    specialist = open_page(PHONE)
    sign_in(specialist, live_server, staff["specialist"].email)
    specialist.goto(file_url)
    assert_no_sideways_scroll(specialist)
    specialist.get_by_role("link", name="Dự thảo kết quả").click()
    expect(specialist.get_by_role("heading", name="Dự thảo kết quả")).to_be_visible()
    assert_no_sideways_scroll(specialist)
    expect(specialist.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Mai")
    specialist.get_by_label("Tình trạng án tích").fill("")
    specialist.get_by_role("button", name="Lưu dự thảo").click()
    expect(specialist.get_by_role("alert")).to_contain_text("Hãy điền mục này")
    assert_no_sideways_scroll(specialist)
    specialist.get_by_label("Tình trạng án tích").fill(STATUS)
    specialist.get_by_role("button", name="Lưu dự thảo").click()
    expect(specialist.get_by_text("Đã lưu dự thảo")).to_be_visible()
    assert_no_sideways_scroll(specialist)
    act(clients["specialist"], application_id, "propose", {"decision": "approve", "note": ""})

    leader = open_page(PHONE)
    sign_in(leader, live_server, staff["leader"].email)
    leader.goto(file_url)
    assert_no_sideways_scroll(leader)
    leader.get_by_role("link", name="Phê duyệt và ký số").click()
    expect(leader.get_by_text("Mã băm SHA-256 của văn bản bạn ký")).to_be_visible()
    expect(leader.get_by_text("Nguyễn Thị Mai")).to_be_visible()
    assert_no_sideways_scroll(leader)
    screenshot(leader, tmp_path, "result-phone-sign", "phone")
    leader.get_by_label("Mã dùng một lần").fill(fresh_code(totp))
    leader.get_by_role("button", name="Phê duyệt và ký kết quả").click()
    expect(leader.get_by_role("status")).to_contain_text("Đã ký và ban hành", timeout=60_000)
    assert_no_sideways_scroll(leader)

    citizen = open_page(PHONE)
    sign_in(citizen, live_server, "mai@example.com")
    citizen.goto(f"{live_server}/warehouse")
    assert_no_sideways_scroll(citizen)
    screenshot(citizen, tmp_path, "result-phone-warehouse", "phone")
    link = citizen.get_by_role("link", name="Tải xuống Phiếu lý lịch tư pháp")
    expect(link).to_be_visible()
    # What the link serves, fetched with the citizen's own session (the browser would show or save it).
    pdf = citizen.request.get(live_server + link.get_attribute("href")).body()
    report = off_the_loop(validate_pdf, pdf, signing_config.settings.trust_roots)
    assert report.is_genuine and report.signer_name == "Ngô Thanh Sơn", report
