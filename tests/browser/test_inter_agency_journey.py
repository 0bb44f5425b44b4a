"""An inter-agency (liên thông) file: the ward receives a household business registration, its specialist sends
it to the Tax Department, a tax officer answers, the ward's leader attaches the result (the procedure has no template)
and approves by signing it, and the citizen's timeline names each
agency and step. Each person has a browser of their own on the same live server; pages are checked by axe-core
and photographed 360 px wide as they pass.
"""

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.procedures.models import Application
from tests.approving import enrol_staff, portal_signing, signing_world  # noqa: F401  (fixtures)
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, screenshot
from tests.browser.test_back_office_journey import DESKTOP, PHONE, off_the_loop, open_from_queue, sign_in
from tests.conftest import login
from tests.filing import pdf_bytes
from tests.paying import SECRET, TMN_CODE, gateway_result, signed, start_paying
from tests.signing.conftest import fresh_code

pytestmark = pytest.mark.browser

WARD, TAX = "000.00.30.H99", "000.00.05.H99"
WARD_NAME, TAX_NAME = "Ủy ban nhân dân phường Đông Thành", "Cục Thuế tỉnh Minh Sơn"
PROCEDURE = "Đăng ký thành lập hộ kinh doanh"
CITIZEN, CITIZEN_ID = "Đỗ Thị Hạnh", "001190076543"
TAX_OPINION = "Đã cấp mã số thuế hộ kinh doanh 8123456789."


def _continue(page: Page) -> None:
    page.get_by_role("main").locator(".actions").get_by_role("button", name="Tiếp tục").click()


def file_household_business(page: Page, live_server: str) -> str:
    page.goto(f"{live_server}/procedures")
    check_accessibility(page)
    page.get_by_role("link", name=PROCEDURE, exact=True).first.click()
    apply = page.get_by_role("button", name="Nộp hồ sơ trực tuyến")
    expect(apply).to_be_visible()
    check_accessibility(page)
    apply.click()
    main = page.get_by_role("main")
    expect(main.locator("#birth_date-day")).to_be_visible()
    check_accessibility(page)
    main.locator("#birth_date-day").fill("14")
    main.locator("#birth_date-month").fill("2")
    main.locator("#birth_date-year").fill("1990")
    main.locator("input[name=gender]").first.check()
    main.locator("#address-unit").select_option(label="Phường Đông Thành")
    main.locator("#address-street").fill("8 Đường Nguyễn Trãi")
    main.locator("#phone").fill("0987654321")
    _continue(page)
    expect(main.locator("#business_name")).to_be_visible()
    check_accessibility(page)
    main.locator("#business_name").fill("Quán cơm Hạnh")
    main.locator("#business_address-unit").select_option(label="Phường Đông Thành")
    main.locator("#business_address-street").fill("10 Đường Nguyễn Trãi")
    main.locator("#business_lines").fill("Dịch vụ ăn uống")
    main.locator("#capital").fill("50000000")
    main.locator("#employees").fill("2")
    _continue(page)
    expect(main.locator("input[name=several_members]").last).to_be_visible()
    check_accessibility(page)
    main.locator("input[name=several_members][value=no]").check()
    _continue(page)
    # No paper is needed for a one-person business at its own premises.
    expect(main.get_by_role("link", name="Tiếp tục")).to_be_visible()
    check_accessibility(page)
    main.get_by_role("link", name="Tiếp tục").click()
    expect(main.get_by_role("button", name="Gửi hồ sơ")).to_be_visible()
    check_accessibility(page)
    main.get_by_label(re.compile("^Trực tuyến")).check()
    main.get_by_role("button", name="Gửi hồ sơ").click()
    code = main.locator(".panel-success strong.code").first.inner_text().strip()
    assert code.startswith(WARD), code
    check_accessibility(page)
    return code


def application_id(code: str) -> int:
    return db.session.scalar(db.select(Application.id).where(Application.code == code))


def pay_the_fee(app, application_id: int, monkeypatch) -> None:
    """The citizen pays online (the gateway's signed notification), through HTTP to keep the journey short."""
    monkeypatch.setitem(app.config, "VNPAY_TMN_CODE", TMN_CODE)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)
    client = app.test_client()
    login(client, CITIZEN_ID)
    params = start_paying(client, application_id)
    assert client.get(f"/payments/vnpay/ipn?{signed(gateway_result(params))}").get_json()["RspCode"] == "00"


def phone_too(page: Page, tmp_path, name: str) -> None:
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"routes-phone-{name}", "phone")
    page.set_viewport_size(DESKTOP)


def test_a_file_goes_from_the_ward_to_the_tax_department_and_back(
    app,
    monkeypatch,
    open_page,
    live_server,
    demo,
    create_citizen,
    create_staff,
    tmp_path,
    server_trouble,
    portal_signing,  # noqa: F811
):
    create_citizen(full_name=CITIZEN, citizen_id=CITIZEN_ID, email="hanh@example.com")
    clerk_user = create_staff(Role.CLERK, WARD, "Lương Thu Hà")
    specialist_user = create_staff(Role.SPECIALIST, WARD, "Tạ Minh Quân")
    leader_user = create_staff(Role.LEADER, WARD, "Hồ Văn Toàn")
    tax_user = create_staff(Role.SPECIALIST, TAX, "Kiều Thị Vân")

    citizen = open_page(DESKTOP)
    sign_in(citizen, live_server, CITIZEN_ID)
    code = file_household_business(citizen, live_server)

    clerk = open_page(DESKTOP)
    sign_in(clerk, live_server, clerk_user.email)
    open_from_queue(clerk, live_server, "Mới", code)
    clerk.get_by_role("button", name="Tiếp nhận").click()
    expect(clerk.get_by_role("status")).to_contain_text("Đã tiếp nhận")

    specialist = open_page(DESKTOP)
    sign_in(specialist, live_server, specialist_user.email)
    open_from_queue(specialist, live_server, "Đã tiếp nhận", code)
    specialist.get_by_role("button", name="Nhận hồ sơ này").click()
    proposal = specialist.get_by_role("group", name="Đề xuất của bạn trình lãnh đạo")
    expect(proposal.get_by_role("radio", name="Trả kết quả")).to_be_checked()
    specialist.get_by_role("button", name="Trình đề xuất").click()
    # The file is now with the Tax Department, on that step, until its own due time.
    steps = specialist.get_by_role("table").filter(has_text="Đăng ký mã số thuế hộ kinh doanh")
    expect(steps).to_contain_text(TAX_NAME)
    expect(specialist.get_by_role("main")).to_contain_text("Người xử lý tiếp theo")
    phone_too(specialist, tmp_path, "1-specialist-steps")

    tax = open_page(DESKTOP)
    sign_in(tax, live_server, tax_user.email)
    open_from_queue(tax, live_server, "Gửi xin ý kiến cơ quan", code)
    check_accessibility(tax)
    tax.get_by_label("Ý kiến hoặc kết quả từng phần (cơ quan chủ trì sẽ đọc)").fill(TAX_OPINION)
    phone_too(tax, tmp_path, "2-tax-answers")
    tax.get_by_role("button", name="Cho ý kiến của cơ quan").click()
    expect(tax.get_by_role("status")).to_contain_text("Ý kiến của cơ quan đã được gửi tới cơ quan chủ trì")

    leader = open_page(DESKTOP)
    sign_in(leader, live_server, leader_user.email)
    open_from_queue(leader, live_server, "Chờ phê duyệt", code)
    expect(leader.get_by_role("main")).to_contain_text(TAX_OPINION)
    totp = off_the_loop(enrol_staff, portal_signing, SimpleNamespace(id=leader_user.id, full_name="Hồ Văn Toàn"), WARD)
    leader.get_by_role("link", name="Phê duyệt và ký số").click()
    check_accessibility(leader)
    leader.get_by_role("link", name="Dự thảo kết quả").click()  # made elsewhere: the PDF is attached, then signed
    check_accessibility(leader)
    result = tmp_path / "giay-chung-nhan-hkd.pdf"
    result.write_bytes(pdf_bytes())
    leader.get_by_label("Văn bản kết quả (PDF)").set_input_files(result)
    leader.get_by_role("button", name="Đính kèm tệp PDF").click()
    expect(leader.get_by_text("Đã đính kèm tệp PDF kết quả")).to_be_visible()
    check_accessibility(leader)
    sign_url = f"{live_server}/office/applications/{application_id(code)}/result/sign"
    leader.goto(sign_url)
    leader.get_by_label("Mã dùng một lần").fill(fresh_code(totp))
    leader.get_by_role("button", name="Phê duyệt và ký kết quả").click()
    # The fee is not paid yet: nothing is signed, and the leader is told why in plain words.
    expect(leader.get_by_role("alert")).to_contain_text("Phí 100.000 đ chưa được nộp")
    check_accessibility(leader)
    pay_the_fee(app, application_id(code), monkeypatch)
    leader.goto(sign_url)
    leader.get_by_label("Mã dùng một lần").fill(fresh_code(totp))
    leader.get_by_role("button", name="Phê duyệt và ký kết quả").click()
    expect(leader.get_by_role("status")).to_contain_text("Đã ký và ban hành", timeout=60_000)
    check_accessibility(leader)

    citizen.goto(f"{live_server}/applications")
    check_accessibility(citizen)
    citizen.get_by_role("link", name=re.compile(re.escape(PROCEDURE))).first.click()
    handled = citizen.get_by_role("list", name="Các cơ quan đã xử lý hồ sơ của bạn")
    expect(handled).to_contain_text(TAX_NAME)
    expect(handled).to_contain_text("Đăng ký mã số thuế hộ kinh doanh")
    expect(handled).to_contain_text(WARD_NAME)
    expect(citizen.get_by_role("main")).not_to_contain_text(TAX_OPINION)  # between the agencies
    check_accessibility(citizen)
    phone_too(citizen, tmp_path, "3-citizen-timeline")
    assert server_trouble == []
