"""The standard slips as a reader sees them: text taken out of the rendered PDF, the QR code read back."""

from __future__ import annotations

import http.server
import io
import os
import shutil
import subprocess
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pypdf
import pytest
from weasyprint.urls import FatalURLFetchingError

from onestop.slips import FORM_VERSION, Party, render_pdf
from tests.slips import samples
from tests.slips.samples import APPLICANT, CODE, STATUS_URL, at

SLIPS = {
    "receipt": (samples.receipt, "01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
    "supplement": (samples.supplement, "02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    "refusal": (samples.refusal, "03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
    "apology": (samples.apology, "04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
    "control": (samples.control, "05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
}


def pdf_text(pdf: bytes) -> str:
    """Every page's text in NFC with runs of white space made one space, as a reader would quote it."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is missing: install Debian's poppler-utils and zbar-tools (`make system-deps`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {name: render_pdf(make()) for name, (make, _number, _title) in SLIPS.items()}


@pytest.mark.parametrize("name", SLIPS)
def test_each_slip_shows_its_form_code_applicant_and_issue_date(rendered, name):
    _make, number, title = SLIPS[name]
    text = pdf_text(rendered[name])
    assert title in text
    assert f"Mẫu số {number} — Thông tư số {FORM_VERSION}" in text
    assert CODE in text
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG" in text
    issued = "Vị Thanh, ngày 30 tháng 11 năm 2026" if name == "apology" else "Vị Thanh, ngày 24 tháng 11 năm 2026"
    assert issued in text
    reader = pypdf.PdfReader(io.BytesIO(rendered[name]))
    assert len(reader.pages) == 1, "a sample slip fits on one A4 page"
    assert reader.metadata.title.lower() == f"{title.lower()} — {CODE.lower()}"
    assert reader.metadata.subject == f"Mã hồ sơ {CODE} — Trung tâm Phục vụ hành chính công, Hậu Giang"


def test_receipt_lists_documents_and_the_appointment(rendered):
    text = pdf_text(rendered["receipt"])
    assert "Tờ khai thay đổi thông tin cư trú (mẫu CT01) Bản điện tử 1" in text
    assert "Giấy tờ chứng minh chỗ ở hợp pháp Bản chính (đã đối chiếu, trả lại) 1" in text
    assert "Văn bản đồng ý của chủ hộ Bản sao có chứng thực 2" in text
    assert "Số lượng hồ sơ: 1 bộ" in text
    assert "5 ngày làm việc" in text
    assert "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 24/11/2026" in text
    assert "Thời gian hẹn trả kết quả: 16 giờ 30 phút, ngày 01/12/2026" in text
    assert "Tại Bộ phận Một cửa — Quầy số 3" in text
    assert "Quyển số 02, số thứ tự 0137" in text
    assert "Số định danh cá nhân: 093186001234" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "Trần Thị Bích Ngọc" in text


def test_supplement_lists_every_item_its_reason_and_whom_to_ask(rendered):
    text = pdf_text(rendered["supplement"])
    assert "Ngày 24/11/2026" in text
    assert "Số: 88/HDHS" in text
    assert "1 Giấy tờ chứng minh chỗ ở hợp pháp Bản chụp bị mờ, không đọc được số thửa đất" in text
    assert "2 Văn bản đồng ý của chủ hộ Thiếu chữ ký của chủ hộ Lê Văn Đức." in text
    assert "Lý do: Hồ sơ chưa đủ căn cứ xác định chỗ ở hợp pháp theo quy định." in text
    assert "Phạm Quốc Huy, số điện thoại 0293 3876 543, thư điện tử motcua@haugiang.gov.vn" in text
    assert "NGƯỜI HƯỚNG DẪN" in text


def test_refusal_gives_its_reason(rendered):
    text = pdf_text(rendered["refusal"])
    assert "Ngày 24/11/2026" in text
    assert "cấm đăng ký thường trú mới theo quy định của Luật Cư trú." in text
    assert "Đăng ký thường trú" in text


def test_apology_gives_the_old_and_the_new_appointment_and_why(rendered):
    text = pdf_text(rendered["apology"])
    assert "Kính gửi: Nguyễn Thị Hồng Nhung" in text
    assert "hẹn trả kết quả vào 16 giờ 30 phút, ngày 01/12/2026" in text
    assert "10 giờ 00 phút, ngày 08/12/2026" in text
    assert "Lý do: Cần xác minh thêm thông tin về chỗ ở với Ủy ban nhân dân xã Hỏa Lựu." in text
    assert "xin lỗi Nguyễn Thị Hồng Nhung" in text
    assert "KT. GIÁM ĐỐC — PHÓ GIÁM ĐỐC" in text and "Võ Thành Đạt" in text


def test_control_slip_has_a_row_per_hand_off_with_its_mark(rendered):
    text = pdf_text(rendered["control"])
    assert "Cơ quan chủ trì giải quyết: Công an tỉnh Hậu Giang" in text
    assert "Cơ quan phối hợp giải quyết: Ủy ban nhân dân xã Hỏa Lựu" in text
    for step in (
        "Bộ phận Một cửa → Phòng Cảnh sát quản lý hành chính",
        "Lãnh đạo phòng — xem xét, ký duyệt",
        "Văn thư — đóng dấu, phát hành",
    ):
        assert step in text
    for person in ("Người giao: Trần Thị Bích Ngọc", "Người nhận: Đỗ Minh Khôi", "Người nhận: Lý Thị Mỹ Duyên"):
        assert person in text
    assert "1. Giao: 10 giờ 30 phút, ngày 24/11/2026" in text
    assert "3. Xong: 08 giờ 15 phút, ngày 30/11/2026" in text
    # The marks in row order: early, late, and the last step still open.
    assert text.index("Trước hạn", text.index("Bộ phận Một cửa →")) < text.index("Quá hạn") < text.index("Đang xử lý")
    assert "Chờ xác minh của xã" in text


def test_moments_print_in_the_provinces_local_time():
    # 18:30 UTC on 23 November is 01:30 on 24 November in Vietnam; the slip says the 24th.
    late_evening_utc = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    slip = replace(
        samples.receipt(),
        header=samples.header(issued_at=late_evening_utc),
        received_at=late_evening_utc,
    )
    text = pdf_text(render_pdf(slip))
    assert "Vị Thanh, ngày 24 tháng 11 năm 2026" in text
    assert "Thời gian nhận hồ sơ: 01 giờ 30 phút, ngày 24/11/2026" in text


def test_long_dates_pad_small_days_and_january_february():
    slip = replace(samples.refusal(), header=samples.header(issued_at=at(5, 2, 10, year=2027)))
    assert "Vị Thanh, ngày 05 tháng 02 năm 2027" in pdf_text(render_pdf(slip))
    slip = replace(samples.refusal(), header=samples.header(issued_at=at(3, 12, 10)))
    assert "Vị Thanh, ngày 03 tháng 12 năm 2026" in pdf_text(render_pdf(slip))


def test_text_from_the_applicant_is_printed_as_written_not_as_markup():
    slip = replace(
        samples.refusal(),
        applicant=Party(name="Lê <b>Thị</b> Ánh & Cộng sự"),
        reason="Thiếu <img src=x> tờ khai",
    )
    text = pdf_text(render_pdf(slip))
    assert "Lê <b>Thị</b> Ánh & Cộng sự" in text
    assert "Thiếu <img src=x> tờ khai" in text


@pytest.mark.parametrize("name", ["receipt", "control"])
def test_the_qr_code_is_an_image_that_reads_back_as_the_status_url(rendered, name, tmp_path):
    pdf = rendered[name]
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 1, "the QR code is embedded as an image"
    assert STATUS_URL in "".join(pdf_text(pdf).split()), "the URL is printed beneath, wrapped where it must"

    (tmp_path / "slip.pdf").write_bytes(pdf)
    subprocess.run([tool("pdftoppm"), "-r", "150", "-png", "-singlefile", "slip.pdf", "page"], cwd=tmp_path, check=True)
    decoded = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert decoded.stdout.strip() == STATUS_URL


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware datetime"):
        samples.header(issued_at=datetime(2026, 11, 24, 9, 5))


def test_a_province_stylesheet_is_applied_after_ours(tmp_path):
    (tmp_path / "slips.css").write_text("@page { size: A4 landscape; }")
    pdf = render_pdf(samples.refusal(), template_dirs=[tmp_path])
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert box.width > box.height
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in pdf_text(pdf)


class _Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self):
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_template_naming_a_remote_or_outside_file_is_refused_and_nothing_is_fetched(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        remote = tmp_path / "remote"
        remote.mkdir()
        (remote / "refusal.html").write_text(
            '{% extends "base.html" %}{% block body %}'
            f'<img src="http://127.0.0.1:{server.server_port}/logo.png">{{% endblock %}}'
        )
        with pytest.raises(FatalURLFetchingError, match="network"):
            render_pdf(samples.refusal(), template_dirs=[remote])

        outside = tmp_path / "outside"
        outside.mkdir()
        (tmp_path / "secret.png").write_bytes(b"not for slips")
        (outside / "refusal.html").write_text(
            '{% extends "base.html" %}{% block body %}<img src="../secret.png">{% endblock %}'
        )
        with pytest.raises(FatalURLFetchingError, match="only files beside their templates"):
            render_pdf(samples.refusal(), template_dirs=[outside])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert _Recorder.paths == []


def test_slips_render_side_by_side_in_threads():
    makers = [samples.receipt, samples.supplement, samples.control, samples.apology] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda make: pdf_text(render_pdf(make())), makers))
    assert all(CODE in text and APPLICANT.name in text for text in texts)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in texts[2]
