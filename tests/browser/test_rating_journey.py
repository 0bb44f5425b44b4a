"""A citizen rates a finished application on a 360 px phone: from the box on the application page to the thanks.

The file is driven to its result through the back office's HTTP forms first; the citizen then finds the
rating box on their application page, answers by label as a screen reader user would, and every page is
checked with axe-core and must not scroll sideways.
"""

import pytest
from playwright.sync_api import expect

from onestop.extensions import db
from onestop.ratings.models import ServiceRating
from tests.approving import portal_signing, signing_world  # noqa: F401  (the leader signs the result)
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, sign_in
from tests.office.conftest import file_lltp, staff  # noqa: F401  (the police's officers)
from tests.ratings.conftest import deliver_result

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_a_citizen_rates_a_finished_application(
    app,
    live_server,
    open_page,
    staff,  # noqa: F811
    create_citizen,
    portal_signing,  # noqa: F811
):
    citizen, application_id, _client = file_lltp(app, create_citizen, fee_category="exempt")
    deliver_result(app, staff, application_id)

    page = open_page(PHONE)
    sign_in(page, live_server, citizen.email)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Hồ sơ của tôi").click()
    assert_no_sideways_scroll(page)
    page.get_by_role("main").get_by_role("link", name="Cấp Phiếu lý lịch tư pháp").first.click()
    expect(page.get_by_role("heading", name="Đánh giá việc giải quyết hồ sơ")).to_be_visible()
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name="Đánh giá dịch vụ").click()
    expect(page.get_by_role("heading", name="Ý kiến của bạn")).to_be_visible()
    assert_no_sideways_scroll(page)

    # Sent with the overall question unanswered: the error summary names it, the comment typed stays.
    page.get_by_label("Góp ý khác của bạn").fill("Cán bộ hướng dẫn rất tận tình")
    page.get_by_role("button", name="Gửi câu trả lời").click()
    expect(page.get_by_role("heading", name="Có lỗi cần sửa")).to_be_visible()
    expect(page.get_by_label("Góp ý khác của bạn")).to_have_value("Cán bộ hướng dẫn rất tận tình")
    assert_no_sideways_scroll(page)

    page.get_by_role("group", name="Nhìn chung, bạn hài lòng thế nào").get_by_label("5", exact=True).check()
    page.get_by_role("group", name="Hồ sơ có được giải quyết đúng hẹn không?").get_by_label("Có", exact=True).check()
    page.get_by_role("group", name="Hướng dẫn về thủ tục").get_by_label("4", exact=True).check()
    page.get_by_role("group", name="Thái độ của cán bộ").get_by_label("5", exact=True).check()
    page.get_by_role("button", name="Gửi câu trả lời").click()
    expect(page.get_by_role("heading", name="Cảm ơn bạn đã đánh giá")).to_be_visible()
    assert_no_sideways_scroll(page)

    page.goto(f"{live_server}/applications/{application_id}")
    expect(page.get_by_text("Cảm ơn bạn đã đánh giá việc giải quyết hồ sơ này.")).to_be_visible()
    check_accessibility(page)
    db.session.expire_all()
    rating = db.session.scalar(db.select(ServiceRating))
    assert (rating.overall, rating.on_time, rating.guidance, rating.conduct) == (5, True, 4, 5)
    assert rating.comment == "Cán bộ hướng dẫn rất tận tình"
