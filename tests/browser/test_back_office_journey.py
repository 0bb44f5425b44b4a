"""An application from the citizen's form to the result in their warehouse, through every back-office desk.

The citizen files a criminal record certificate; the provincial police's reception clerk asks for a
new photo of the ID card and an explanation; the citizen supplies both online; the clerk accepts and
the due date appears; the leader assigns the specialist, who proposes to issue; the leader approves by
signing with a one-time code; the citizen asked for the paper at the counter, so the clerk prints the signed
result and records that it was handed over. After each step the citizen's own page says, in words, what
happened. Each person has a browser of their own (their own session), all on the same live server.

Everything is found the way a screen reader user would find it: by label, role and name. The pages
people spend their day on (the queue, the file, the citizen's timeline and supplement page) are also
checked and photographed 360 px wide; screenshots go to the test's tmp_path (and, for the phone, to
var/screenshots/office-*.png).
"""

import re
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import Page, expect

from onestop.accounts.models import Role
from tests.approving import enrol_staff, portal_signing, signing_world  # noqa: F401  (fixtures)
from tests.browser.conftest import assert_no_sideways_scroll, check_accessibility, screenshot, sign_in
from tests.signing.conftest import fresh_code

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
POLICE = "000.00.02.H99"
AGENCY = "Công an tỉnh Minh Sơn"
PROCEDURE = "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"
CITIZEN = "Phạm Thị Lan"
CITIZEN_ID = "001192034563"
# The demo pack has its own police staff; these names differ so that no one is mistaken for them.
CLERK, SPECIALIST, LEADER = "Lý Thị Hoa", "Trịnh Văn Hải", "Mai Quốc Bảo"
ID_CARD = "Thẻ căn cước hoặc căn cước công dân"
BLURRED = "Ảnh chụp thẻ bị mờ, không đọc được số thẻ. Chụp lại rõ hai mặt thẻ."
OTHER_POINT = "Ghi rõ Phiếu dùng để nộp cho cơ quan hay doanh nghiệp nào."
ANSWER = "Phiếu dùng để nộp cho Công ty TNHH Minh Sơn Xanh."
PROPOSAL = "Tra cứu không có án tích; đủ điều kiện cấp Phiếu số 1."
RESULT_TITLE = "Phiếu lý lịch tư pháp"
DATE = re.compile(r"\d{2}/\d{2}/\d{4}")


def off_the_loop(function, *args):
    """Playwright's sync API keeps an event loop running in this thread; the signing client runs its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def id_card_photo(tmp_path, name: str, blurred: bool):
    """A real JPEG of a card; the first one blurred past reading, as the clerk will find it."""
    image = Image.new("RGB", (856, 540), "#e9eef3")
    for y in range(120, 460, 40):
        image.paste("#1b1b1b", (330, y, 800, y + 12))
    image.paste("#7a8aa0", (50, 120, 290, 420))
    if blurred:
        image = image.filter(ImageFilter.GaussianBlur(14))
    path = tmp_path / name
    image.save(path, format="JPEG", quality=85)
    return path


def both_widths(page: Page, tmp_path, name: str) -> None:
    """Photograph the page on a desktop and 360 px wide, where nothing may stick out sideways."""
    screenshot(page, tmp_path, f"office-desktop-{name}", "desktop")
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, f"office-phone-{name}", "phone")
    page.set_viewport_size(DESKTOP)


def history(page: Page):
    """The citizen's list of what happened, newest first."""
    return page.get_by_role("list", name="Quá trình xử lý").get_by_role("listitem")


def status_of(page: Page):
    return page.get_by_role("main").get_by_role("definition")


def open_from_queue(page: Page, live_server: str, tab: str, code: str) -> None:
    """From the back-office home, through the queue tab, to the file."""
    page.goto(live_server)
    check_accessibility(page)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Trang cán bộ").click()
    queues = page.get_by_role("link", name="Hồ sơ cần xử lý")
    expect(queues).to_be_visible()
    check_accessibility(page)
    queues.click()
    tabs = page.get_by_role("navigation", name="Danh sách hồ sơ")
    expect(tabs).to_be_visible()
    check_accessibility(page)
    tabs.get_by_role("link", name=tab, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tab)
    check_accessibility(page)
    page.get_by_role("table").get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    check_accessibility(page)


def file_as_citizen(page: Page, live_server: str, tmp_path) -> str:
    """Fill the criminal record form, attach the blurred ID card photo, send; returns the application code."""
    page.goto(f"{live_server}/procedures")
    check_accessibility(page)
    page.get_by_role("link", name=PROCEDURE, exact=True).first.click()
    apply = page.get_by_role("button", name="Nộp hồ sơ trực tuyến")
    expect(apply).to_be_visible()
    check_accessibility(page)
    apply.click()

    main = page.get_by_role("main")
    expect(main.get_by_label("Nữ")).to_be_visible()
    check_accessibility(page)
    main.get_by_label("Nữ").check()
    main.get_by_label("Ngày", exact=True).fill("5")
    main.get_by_label("Tháng", exact=True).fill("6")
    main.get_by_label("Năm", exact=True).fill("1992")
    main.locator("#address-unit").select_option(label="Phường Đông Thành")
    main.locator("#address-street").fill("12 Đường Lê Lợi")
    main.get_by_label("Số điện thoại di động").fill("0912345678")
    main.locator(".actions").get_by_role("button", name="Tiếp tục").click()

    expect(main.get_by_label("Số lượng Phiếu")).to_be_visible()
    check_accessibility(page)
    main.get_by_label("Phiếu số 1 (chỉ ghi án tích chưa được xóa)").check()
    main.get_by_label("Số lượng Phiếu").fill("1")
    main.get_by_label("Mục đích sử dụng Phiếu").fill("Bổ sung hồ sơ xin việc")
    # A fee-exempt applicant: the fee and its payment have their own journey (test_citizen_pays_a_fee.py).
    main.get_by_label("Trẻ em, người cao tuổi", exact=False).check()
    main.locator(".actions").get_by_role("button", name="Tiếp tục").click()

    expect(main.get_by_label("Không")).to_be_visible()
    check_accessibility(page)
    main.get_by_label("Không").check()
    main.locator(".actions").get_by_role("button", name="Tiếp tục").click()

    id_card = main.get_by_role("region", name=ID_CARD)
    expect(id_card).to_be_visible()
    check_accessibility(page)
    id_card.get_by_label("Tải tệp lên").set_input_files(id_card_photo(tmp_path, "the-can-cuoc-mo.jpg", blurred=True))
    id_card.get_by_role("button", name="Tải lên").click()
    expect(id_card).to_contain_text("the-can-cuoc-mo.jpg")
    check_accessibility(page)
    main.get_by_role("link", name="Tiếp tục").click()

    expect(main.get_by_role("button", name="Gửi hồ sơ")).to_be_visible()
    check_accessibility(page)
    main.get_by_label("Nhận trực tiếp tại quầy của cơ quan tiếp nhận hồ sơ").check()
    main.get_by_role("button", name="Gửi hồ sơ").click()
    code = main.locator(".panel-success strong.code").first.inner_text().strip()
    assert re.match(rf"^{re.escape(POLICE)}-\d{{6}}-\d{{4}}$", code), code
    check_accessibility(page)
    return code


def test_an_application_goes_through_every_desk_and_the_citizen_follows_it(
    open_page,
    live_server,
    demo,
    create_citizen,
    create_staff,
    tmp_path,
    server_trouble,
    portal_signing,  # noqa: F811
):
    create_citizen(full_name=CITIZEN, citizen_id=CITIZEN_ID, email="lan@example.com")
    clerk_user = create_staff(Role.CLERK, POLICE, CLERK)
    specialist_user = create_staff(Role.SPECIALIST, POLICE, SPECIALIST)
    leader_user = create_staff(Role.LEADER, POLICE, LEADER)

    citizen = open_page(DESKTOP)
    sign_in(citizen, live_server, CITIZEN_ID)
    code = file_as_citizen(citizen, live_server, tmp_path)

    # 1. The clerk finds the new application in the New queue and asks for a new photo and an explanation.
    clerk = open_page(DESKTOP)
    sign_in(clerk, live_server, clerk_user.email)
    open_from_queue(clerk, live_server, "Mới", code)
    clerk.go_back()
    row = clerk.get_by_role("row").filter(has=clerk.get_by_role("link", name=code))
    expect(row).to_contain_text(CITIZEN)
    expect(row).to_contain_text(PROCEDURE)
    both_widths(clerk, tmp_path, "1-clerk-queue")
    row.get_by_role("link", name=code).click()
    expect(status_of(clerk).first).to_contain_text("Đã gửi, đang chờ cơ quan kiểm tra")
    both_widths(clerk, tmp_path, "2-clerk-file")

    clerk.get_by_text("Yêu cầu bổ sung hồ sơ", exact=True).click()  # opens the folded form
    clerk.get_by_role("checkbox", name=ID_CARD).check()
    clerk.get_by_role("textbox", name=re.compile(rf"^Thiếu gì hoặc sai gì\W+{ID_CARD}$")).fill(BLURRED)
    clerk.get_by_label("Nội dung khác cần sửa hoặc giải trình").fill(OTHER_POINT)
    clerk.get_by_role("button", name="Gửi yêu cầu").click()
    expect(clerk.get_by_role("status")).to_contain_text("Đã gửi yêu cầu bổ sung cho người nộp")
    expect(clerk.get_by_role("main")).to_contain_text(BLURRED)

    # 2. The citizen sees what is asked on their application page and supplies it.
    citizen.goto(f"{live_server}/applications")
    check_accessibility(citizen)
    citizen.get_by_role("link", name=re.compile(re.escape(PROCEDURE))).first.click()
    asked = citizen.get_by_role("region", name="Cơ quan cần bạn bổ sung hồ sơ")
    expect(asked).to_contain_text(BLURRED)
    expect(asked).to_contain_text(OTHER_POINT)
    expect(status_of(citizen).nth(2)).to_have_text("Đang chờ bạn bổ sung hồ sơ")
    expect(history(citizen).first).to_contain_text("Yêu cầu bổ sung hồ sơ")
    expect(history(citizen).first).to_contain_text(BLURRED)
    both_widths(citizen, tmp_path, "3-citizen-timeline-supplement")

    asked.get_by_role("link", name="Bổ sung hồ sơ").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Bổ sung hồ sơ")
    both_widths(citizen, tmp_path, "4-citizen-supplement")
    # Sending without the new photo: told what is missing, nothing typed is lost.
    citizen.get_by_label("Trả lời của bạn gửi cơ quan").fill(ANSWER)
    citizen.get_by_role("button", name="Gửi cho cơ quan").click()
    summary = citizen.get_by_role("alert")
    expect(summary).to_contain_text("Vẫn còn thiếu")
    expect(summary).to_be_focused()
    expect(citizen.get_by_label("Tải tệp lên")).to_have_attribute("aria-invalid", "true")
    expect(citizen.get_by_label("Trả lời của bạn gửi cơ quan")).to_have_value(ANSWER)
    both_widths(citizen, tmp_path, "5-citizen-supplement-error")
    photo = citizen.get_by_role("region", name=ID_CARD)
    photo.get_by_label("Tải tệp lên").set_input_files(id_card_photo(tmp_path, "the-can-cuoc-ro.jpg", blurred=False))
    citizen.get_by_role("button", name="Gửi cho cơ quan").click()
    expect(citizen.get_by_role("status")).to_contain_text("Hồ sơ bổ sung đã được gửi đến cơ quan")
    expect(status_of(citizen).nth(2)).to_have_text("Đã gửi, đang chờ cơ quan kiểm tra")
    expect(history(citizen).first).to_contain_text("Bạn đã gửi thành phần bổ sung.")
    expect(history(citizen).first).to_contain_text(ANSWER)

    # 3. The clerk sees the new photo and the answer, and accepts: the due date is fixed.
    clerk.reload()
    expect(clerk.get_by_role("main")).to_contain_text("the-can-cuoc-ro.jpg")
    expect(clerk.get_by_role("main")).to_contain_text(ANSWER)
    clerk.get_by_role("button", name="Tiếp nhận").click()
    expect(clerk.get_by_role("status")).to_contain_text("Đã tiếp nhận")
    due = clerk.get_by_role("main").get_by_role("term").filter(has_text="Ngày hẹn trả kết quả").locator("+ dd")
    expect(due).to_contain_text(DATE)
    expect(due).to_contain_text("ngày làm việc")
    due_on = DATE.search(due.inner_text()).group(0)

    citizen.reload()
    expect(status_of(citizen).nth(2)).to_have_text("Đã tiếp nhận, đang chờ chuyên viên thụ lý")
    expect(status_of(citizen).nth(4)).to_contain_text(due_on)
    expect(history(citizen).first).to_contain_text("Cơ quan đã tiếp nhận hồ sơ và hẹn ngày trả kết quả")
    expect(citizen.get_by_role("main")).to_contain_text("Giấy tiếp nhận hồ sơ và hẹn trả kết quả")

    # 4. The leader gives the file to the specialist.
    leader = open_page(DESKTOP)
    sign_in(leader, live_server, leader_user.email)
    open_from_queue(leader, live_server, "Đã tiếp nhận", code)
    leader.get_by_label("Chuyên viên").select_option(label=f"{SPECIALIST} ({specialist_user.email})")
    both_widths(leader, tmp_path, "6-leader-file-assign")
    leader.get_by_role("button", name="Phân công").click()
    expect(leader.get_by_role("status")).to_contain_text("Đã phân công")
    citizen.reload()
    expect(status_of(citizen).nth(2)).to_have_text("Đang giải quyết")
    expect(status_of(citizen).nth(3)).to_contain_text(SPECIALIST)
    expect(history(citizen).first).to_contain_text("Đã giao chuyên viên thụ lý")

    # 5. The specialist finds it among their own files and proposes to issue the certificate.
    specialist = open_page(DESKTOP)
    sign_in(specialist, live_server, specialist_user.email)
    open_from_queue(specialist, live_server, "Của tôi", code)
    proposal = specialist.get_by_role("group", name="Đề xuất của bạn trình lãnh đạo")
    expect(proposal.get_by_role("radio", name="Trả kết quả")).to_be_checked()
    specialist.get_by_label("Ghi chú (nêu lý do nếu đề xuất từ chối)").fill(PROPOSAL)
    both_widths(specialist, tmp_path, "7-specialist-file")
    specialist.get_by_role("button", name="Trình đề xuất").click()
    expect(specialist.get_by_role("status")).to_contain_text("Đã trình đề xuất lên lãnh đạo")
    citizen.reload()
    expect(status_of(citizen).nth(2)).to_have_text("Đang chờ lãnh đạo phê duyệt")
    expect(history(citizen).first).to_contain_text("Chuyên viên đã trình lãnh đạo")
    expect(history(citizen).first).not_to_contain_text(PROPOSAL)  # the officers' internal note

    # 6. The leader approves by signing: the draft from the procedure's template, a code from the authenticator.
    totp = off_the_loop(enrol_staff, portal_signing, SimpleNamespace(id=leader_user.id, full_name=LEADER), POLICE)
    open_from_queue(leader, live_server, "Chờ phê duyệt", code)
    expect(leader.get_by_role("main")).to_contain_text(PROPOSAL)
    expect(leader.get_by_role("button", name="Phê duyệt: ban hành kết quả")).to_have_count(0)  # no unsigned way
    both_widths(leader, tmp_path, "8-leader-file-approve")
    leader.get_by_role("link", name="Phê duyệt và ký số").click()
    expect(leader.get_by_text("Mã băm SHA-256 của văn bản bạn ký")).to_be_visible()
    check_accessibility(leader)
    leader.get_by_label("Mã dùng một lần").fill(fresh_code(totp))
    leader.get_by_role("button", name="Phê duyệt và ký kết quả").click()
    expect(leader.get_by_role("status")).to_contain_text("Đã ký và ban hành", timeout=60_000)
    expect(leader.get_by_role("status")).to_contain_text("trao tại bộ phận một cửa")
    check_accessibility(leader)
    citizen.reload()
    expect(status_of(citizen).nth(2)).to_have_text("Đã phê duyệt, đang ban hành kết quả")
    expect(history(citizen).first).to_contain_text("Lãnh đạo đã phê duyệt")

    # 7. The clerk prints the signed result (no upload) and hands it over at the counter.
    open_from_queue(clerk, live_server, "Đã phê duyệt", code)
    expect(clerk.get_by_label("Văn bản kết quả (PDF)")).to_have_count(0)
    printed = clerk.get_by_role("link", name="In kết quả đã ký")
    signed_pdf = clerk.request.get(live_server + printed.get_attribute("href")).body()
    assert signed_pdf.startswith(b"%PDF") and b"/ByteRange" in signed_pdf
    both_widths(clerk, tmp_path, "9-clerk-file-deliver")
    clerk.get_by_role("button", name="Đã trao tại bộ phận một cửa").click()
    expect(clerk.get_by_role("status")).to_contain_text("Đã ghi nhận việc trao kết quả")
    expect(status_of(clerk).first).to_have_text("Đã trả kết quả")

    citizen.reload()
    expect(status_of(citizen).nth(2)).to_have_text("Đã trả kết quả")
    expect(history(citizen)).to_have_count(9)
    steps = [text.split("\n")[1] for text in history(citizen).all_inner_texts()]
    assert steps == [
        "Đã trao kết quả tại bộ phận một cửa",
        "Lãnh đạo đã phê duyệt",
        "Chuyên viên đã trình lãnh đạo",
        "Đã giao chuyên viên thụ lý",
        "Cơ quan đã tiếp nhận hồ sơ và hẹn ngày trả kết quả",
        "Bạn đã gửi thành phần bổ sung.",
        "Yêu cầu bổ sung hồ sơ",
        f"Bạn đã gửi hồ sơ đến {AGENCY}.",
        "Bạn đã bắt đầu khai hồ sơ.",
    ], steps
    expect(citizen.get_by_role("main")).not_to_contain_text(PROPOSAL)  # the officers' note stays theirs
    expect(status_of(citizen).nth(3)).to_contain_text(f"{AGENCY} đã giải quyết xong")
    both_widths(citizen, tmp_path, "10-citizen-timeline-result")
    stylesheet = citizen.request.get(f"{live_server}/static/css/site.css").body()
    assert len(citizen.content().encode()) + len(stylesheet) < 100_000  # citizen pages stay light
    ready = citizen.get_by_role("region", name="Kết quả đã sẵn sàng")
    ready.get_by_role("link", name="Xem giấy tờ của tôi").click()

    expect(citizen.get_by_role("table")).to_contain_text(RESULT_TITLE)  # signed, from the procedure's template
    expect(citizen.get_by_role("table")).to_contain_text(AGENCY)
    check_accessibility(citizen)

    assert server_trouble == []
