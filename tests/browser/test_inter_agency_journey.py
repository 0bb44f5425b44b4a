"""An inter-agency (liên thông) file: the ward receives a household business registration, its specialist sends
it to the Tax Department, a tax officer answers, the ward's leader approves, and the citizen's timeline names each
agency and step. Each person has a browser of their own on the same live server; pages are checked by axe-core
and photographed 360 px wide as they pass.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from onestop.accounts.models import Role
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, screenshot
from tests.browser.test_back_office_journey import DESKTOP, PHONE, open_from_queue, sign_in

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


def phone_too(page: Page, tmp_path, name: str) -> None:
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"routes-phone-{name}", "phone")
    page.set_viewport_size(DESKTOP)


def test_a_file_goes_from_the_ward_to_the_tax_department_and_back(
    open_page, live_server, demo, create_citizen, create_staff, tmp_path, server_trouble
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
    leader.get_by_role("button", name="Phê duyệt: ban hành kết quả").click()
    expect(leader.get_by_role("status")).to_contain_text("Đã ghi nhận quyết định")

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
