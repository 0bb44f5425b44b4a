"""A third party on a phone opens the QR link of a signed result and sees it genuine; a tampered copy is not.

360 px wide, found by label and role as a screen reader user would; every page checked with axe-core and
must not scroll sideways. The result is signed through the real signing service (tests/results/conftest.py).
"""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_sideways_scroll
from tests.office.conftest import filed, staff  # noqa: F401  (fixtures)
from tests.results.conftest import portal_signing, result_pdf, signed_result  # noqa: F401  (fixtures)
from tests.results.test_verify import MASKED, changed_one_byte
from tests.signing.conftest import blank_pdf, signing_world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_a_third_party_checks_a_result_by_its_qr_link_and_a_tampered_copy(
    live_server,
    open_page,
    signed_result,  # noqa: F811
):
    page: Page = open_page(PHONE)
    page.goto(f"{live_server}/v/{signed_result.code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Văn bản thật: do cơ quan dưới đây ban hành và không bị thay đổi"
    )
    expect(page.get_by_text(MASKED)).to_be_visible()
    expect(page.get_by_text("Chữ ký nguyên vẹn: tệp không bị sửa từ khi ký.")).to_be_visible()
    assert_no_sideways_scroll(page)

    page.goto(f"{live_server}/verify")
    assert_no_sideways_scroll(page)
    page.get_by_label("Mã xác thực").fill(signed_result.code.lower())
    page.get_by_label("Hoặc tệp PDF bạn đã nhận").set_input_files(
        {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": changed_one_byte(signed_result.pdf)}
    )
    page.get_by_role("button", name="Kiểm tra văn bản").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Không phải văn bản thật: tệp này không phải văn bản đã được ban hành"
    )
    expect(page.get_by_text("Chữ ký không còn nguyên vẹn: tệp đã bị sửa sau khi ký.")).to_be_visible()
    assert_no_sideways_scroll(page)

    # A typo gets its message beside the field, the typed code kept.
    page.get_by_label("Mã xác thực").fill("ABC-123")
    page.get_by_role("button", name="Kiểm tra văn bản").click()
    expect(page.get_by_role("alert")).to_contain_text("Đây không phải mã xác thực")
    expect(page.get_by_label("Mã xác thực")).to_have_value("ABC-123")
    assert_no_sideways_scroll(page)
