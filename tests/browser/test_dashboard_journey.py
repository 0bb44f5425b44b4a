"""A leader reads the police's dashboard on a 360 px phone: picks November by typing its days, reads the index,
follows "late: these files" to the list, opens a file from it and downloads the list as CSV.

The month of files is the hand-worked one of tests/dashboards/conftest.py; every page is checked with axe-core
and must not scroll sideways (wide tables scroll inside their own frame).
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_sideways_scroll, sign_in
from tests.dashboards.conftest import month, people  # noqa: F401  (the hand-worked month and its officers)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_a_leader_finds_the_late_files_behind_the_index(app, live_server, open_page, month, people, tmp_path):  # noqa: F811
    page = open_page(PHONE)
    sign_in(page, live_server, people["leader"].email)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Trang cán bộ").click()
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name="Bảng điều hành: bộ chỉ số phục vụ và số liệu").click()
    expect(page.get_by_role("heading", name="Bộ chỉ số phục vụ (Quyết định 766/QĐ-TTg)")).to_be_visible()
    assert_no_sideways_scroll(page)

    # A reversed range is refused with a summary that leads to the field; what was typed stays.
    page.get_by_label("Ngày đầu (NNNN-TT-NN)").fill("2026-11-30")
    page.get_by_label("Ngày cuối (NNNN-TT-NN)").fill("2026-11-01")
    page.get_by_role("button", name="Xem các ngày này").click()
    expect(page.get_by_role("heading", name="Có lỗi cần sửa")).to_be_visible()
    expect(page.get_by_label("Ngày đầu (NNNN-TT-NN)")).to_have_value("2026-11-30")
    assert_no_sideways_scroll(page)

    page.get_by_label("Ngày đầu (NNNN-TT-NN)").fill("2026-11-01")
    page.get_by_label("Ngày cuối (NNNN-TT-NN)").fill("2026-11-30")
    page.get_by_role("button", name="Xem các ngày này").click()
    expect(page.get_by_role("heading", name="Có lỗi cần sửa")).to_have_count(0)
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="1 hồ sơ không đạt: xem danh sách").first.click()
    expect(page.get_by_role("heading", name="Hồ sơ giải quyết quá hạn")).to_be_visible()
    expect(page.get_by_role("link", name="MS-A2")).to_be_visible()
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "late.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "MS-A2" in text and "MS-A1" not in text

    page.get_by_role("link", name="MS-A2").click()
    expect(page).to_have_url(f"{live_server}/office/applications/{month['A2'].id}")
    assert_no_sideways_scroll(page)
