"""A clerk builds a three-question survey on a phone, opens its QR link, a citizen answers it, the clerk sees the chart.

Everything 360 px wide, found by label, role and name as a screen reader user would; every page is checked
with axe-core and must not scroll sideways. The QR code is decoded from the PNG the builder offers (zbarimg).
"""

import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from onestop.accounts.models import Role
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
TITLE = "Ý kiến về bộ phận một cửa"


def _add_question(page: Page, kind: str, text: str, options: str = "") -> None:
    page.get_by_role("link", name="Thêm câu hỏi vào phần 1").click()
    assert_no_sideways_scroll(page)
    page.get_by_label("Loại câu hỏi").select_option(label=kind)
    page.get_by_label("Câu hỏi bằng tiếng Việt").fill(text)
    if options:
        page.get_by_label("Các phương án để chọn (chỉ cho danh sách)").fill(options)
    page.get_by_role("button", name="Lưu câu hỏi").click()
    expect(page.get_by_text("Đã lưu câu hỏi.")).to_be_visible()
    check_accessibility(page)


def test_a_clerk_builds_a_survey_a_citizen_answers_it_and_the_clerk_sees_the_chart(
    live_server, open_page, create_staff, tmp_path
):
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (zbar-tools) is needed to read the QR code")
    clerk_user = create_staff(Role.CLERK, email="hoa.survey@minhson.example", full_name="Lý Thị Hoa")
    clerk = open_page(PHONE)
    sign_in(clerk, live_server, clerk_user.email)
    clerk.get_by_role("link", name="Trang cán bộ").first.click()
    check_accessibility(clerk)
    clerk.get_by_role("link", name="Khảo sát").click()
    assert_no_sideways_scroll(clerk)
    clerk.get_by_role("link", name="Phiếu khảo sát mới").click()
    assert_no_sideways_scroll(clerk)
    clerk.get_by_label("Tiêu đề bằng tiếng Việt").fill(TITLE)
    clerk.get_by_label("Bất kỳ ai có đường dẫn, mỗi thiết bị một lần").check()
    clerk.get_by_role("button", name="Lưu", exact=True).click()
    expect(clerk.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    assert_no_sideways_scroll(clerk)

    _add_question(clerk, "Chọn một phương án trong danh sách", "Bạn nộp hồ sơ qua kênh nào?", "Cổng dịch vụ công\nQuầy")
    _add_question(clerk, "Đánh giá từ 1 đến 5", "Bạn hài lòng đến mức nào?")
    _add_question(clerk, "Văn bản ngắn", "Điều gì cần cải thiện?")
    clerk.get_by_role("button", name="Phát hành").click()
    expect(clerk.get_by_text("Phiếu khảo sát đã được phát hành.")).to_be_visible()
    assert_no_sideways_scroll(clerk)

    # The QR code the clerk would print leads to the short link.
    png = clerk.request.get(live_server + clerk.get_by_role("link", name="Mã QR (PNG)").get_attribute("href"))
    assert png.ok
    (tmp_path / "qr.png").write_bytes(png.body())
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True, check=True
    ).stdout.strip()
    path = urlsplit(decoded).path
    assert path.startswith("/s/")

    citizen = open_page(PHONE)
    citizen.goto(live_server + path)
    expect(citizen.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    assert_no_sideways_scroll(citizen)
    citizen.get_by_role("button", name="Bắt đầu").click()
    expect(citizen.get_by_text("Phần 1 trên 1")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    citizen.get_by_label("Cổng dịch vụ công").check()
    citizen.get_by_role("group", name="Bạn hài lòng đến mức nào?").get_by_label("4").check()
    citizen.get_by_label("Điều gì cần cải thiện?").fill("Thêm chỗ ngồi chờ")
    citizen.get_by_label("Điều gì cần cải thiện?").press("Enter")  # Enter sends with the first button: "Send"
    expect(citizen.get_by_role("heading", level=1, name="Xin cảm ơn")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    citizen.goto(live_server + path)
    expect(citizen.get_by_text("Bạn đã trả lời phiếu khảo sát này. Xin cảm ơn.")).to_be_visible()
    check_accessibility(citizen)

    clerk.get_by_role("link", name="Kết quả", exact=True).click()
    expect(clerk.get_by_text("1 lượt trả lời", exact=True)).to_be_visible()
    chart = clerk.get_by_role("img", name="Các câu trả lời cho Q1")
    expect(chart).to_be_visible()
    table = clerk.get_by_role("table", name="Các câu trả lời cho Q1")
    expect(table.get_by_role("row", name="Cổng dịch vụ công 1 100.0%")).to_be_visible()
    expect(clerk.get_by_text("Thêm chỗ ngồi chờ")).to_be_visible()
    assert_no_sideways_scroll(clerk)
    clerk.screenshot(path=tmp_path / "results-phone.png", full_page=True)
