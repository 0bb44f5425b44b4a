"""A citizen sends a question about a procedure from its page on a phone, the ward answers, the citizen reads it.

360 px wide, found by label and role; every page checked with axe-core and must not scroll sideways.
"""

import pytest
from playwright.sync_api import expect

from onestop.accounts.models import Role
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SUBJECT = "Khai sinh cho con khi chưa đăng ký kết hôn"
ANSWER = "Được. Phần thông tin về người cha để trống."


def test_a_citizen_sends_feedback_and_reads_the_answer(live_server, open_page, create_staff, create_citizen):
    clerk_user = create_staff(Role.CLERK, "000.00.30.H99", "Phạm Thu Trang", email="trang.fb@minhson.example")
    citizen_user = create_citizen(full_name="Trần Thị Hoa", email="hoa.fb@example.com")

    citizen = open_page(PHONE)
    sign_in(citizen, live_server, citizen_user.email)
    citizen.goto(f"{live_server}/procedures/dang-ky-khai-sinh")
    check_accessibility(citizen)
    citizen.get_by_role("link", name="Đặt câu hỏi hoặc gửi phản ánh về thủ tục này").click()
    assert_no_sideways_scroll(citizen)
    # Sent empty first: the error summary names what is missing, and the choice made is kept.
    citizen.get_by_label("Câu hỏi", exact=True).check()
    citizen.get_by_role("button", name="Gửi", exact=True).click()
    expect(citizen.get_by_role("alert")).to_contain_text("Hãy ghi tiêu đề ngắn cho phản ánh.")
    assert_no_sideways_scroll(citizen)
    expect(citizen.get_by_label("Câu hỏi", exact=True)).to_be_checked()
    citizen.get_by_label("Tiêu đề").fill(SUBJECT)
    citizen.get_by_label("Nội dung phản ánh").fill(
        "Chúng tôi chưa đăng ký kết hôn. Có làm khai sinh cho con được không?"
    )
    citizen.get_by_role("button", name="Gửi", exact=True).click()
    expect(citizen.get_by_role("heading", level=1, name="Đã gửi phản ánh")).to_be_visible()
    assert_no_sideways_scroll(citizen)
    code = citizen.locator(".code").inner_text()

    clerk = open_page(PHONE)
    sign_in(clerk, live_server, clerk_user.email)
    clerk.get_by_role("link", name="Trang cán bộ").first.click()
    check_accessibility(clerk)
    clerk.get_by_role("link", name="Phản ánh, kiến nghị và câu hỏi").click()
    assert_no_sideways_scroll(clerk)
    clerk.get_by_role("link", name=code).click()
    assert_no_sideways_scroll(clerk)
    clerk.get_by_label("Câu trả lời", exact=True).fill(ANSWER)
    clerk.get_by_role("button", name="Gửi câu trả lời").click()
    expect(clerk.get_by_text("Đã gửi câu trả lời.")).to_be_visible()
    assert_no_sideways_scroll(clerk)

    citizen.get_by_role("link", name="Xem phản ánh của bạn").click()
    expect(citizen.get_by_text(ANSWER)).to_be_visible()
    assert_no_sideways_scroll(citizen)
    citizen.get_by_role("button", name="Hài lòng", exact=True).click()
    expect(citizen.get_by_text("Cảm ơn bạn: đánh giá đã được lưu.")).to_be_visible()
    expect(citizen.get_by_text("Đã đánh giá: hài lòng")).to_be_visible()
    assert_no_sideways_scroll(citizen)
