"""The tracking book (Mẫu 06, Sổ theo dõi hồ sơ) as an .xlsx workbook.

One sheet: the book's title and period on top, then a bold, frozen header row with a filter, one row
per application. Moments are written as real Excel dates in the province's local time (Excel has no
time zones), so the book sorts and filters by date. Cells go through `onestop.spreadsheets.write_cell`,
so a name typed as a formula stays text. The column headings are the book's Vietnamese, written
directly like the slips' wording (an official register, not interface text).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from onestop.slips.data import FORM_VERSION, BookRow
from onestop.spreadsheets import write_cell

DATE_TIME = "dd/mm/yyyy hh:mm"

# (heading, width in characters, how to read the value from a row)
COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("STT", 6, "number"),
    ("Mã hồ sơ", 22, "application_code"),
    ("Tên thủ tục hành chính", 40, "procedure_name"),
    ("Số lượng hồ sơ (bộ)", 10, "sets"),
    ("Tên cá nhân, tổ chức", 26, "applicant_name"),
    ("Địa chỉ, số điện thoại", 32, "applicant_contact"),
    ("Cơ quan chủ trì giải quyết", 28, "processing_agency"),
    ("Ngày, giờ nhận hồ sơ", 17, "received_at"),
    ("Ngày, giờ hẹn trả kết quả", 17, "due_at"),
    ("Ngày, giờ chuyển hồ sơ", 17, "transferred_at"),
    ("Ngày, giờ có kết quả", 17, "result_at"),
    ("Ngày, giờ trả kết quả", 17, "returned_at"),
    ("Ký nhận", 14, ""),  # left blank: the applicant signs the printed book on collection
    ("Ghi chú", 30, "note"),
)
HEADER_ROW = 4


def _period_line(period: tuple[date, date]) -> str:
    start, end = period
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def _cell_value(row: BookRow, attribute: str, zone: ZoneInfo) -> object:
    if not attribute:
        return None
    value = getattr(row, attribute)
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    return value


def _write_heading(sheet: Worksheet, title: str, period: tuple[date, date]) -> None:
    last = get_column_letter(len(COLUMNS))
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A2"] = f"{_period_line(period)} — Mẫu số 06, Thông tư số {FORM_VERSION}"
    sheet["A2"].font = Font(italic=True)
    sheet.merge_cells(f"A2:{last}2")
    for cell in ("A1", "A2"):
        sheet[cell].alignment = Alignment(horizontal="center")


def tracking_book_xlsx(
    rows: Iterable[BookRow], title: str, period: tuple[date, date], timezone: str = "Asia/Ho_Chi_Minh"
) -> bytes:
    """The tracking book of `period` (first and last day) as .xlsx bytes, one row per application."""
    zone = ZoneInfo(timezone)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sổ theo dõi hồ sơ"
    workbook.properties.title = title
    _write_heading(sheet, title, period)

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, (heading, width, _attribute) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=heading)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.fill = PatternFill("solid", fgColor="E7E6E6")
        cell.border = border
        sheet.column_dimensions[get_column_letter(index)].width = width

    row_number = HEADER_ROW
    for row_number, row in enumerate(rows, start=HEADER_ROW + 1):
        for index, (_heading, _width, attribute) in enumerate(COLUMNS, start=1):
            cell = write_cell(sheet, row_number, index, _cell_value(row, attribute, zone))
            cell.alignment = wrap
            cell.border = border
            if isinstance(cell.value, datetime):
                cell.number_format = DATE_TIME

    last = get_column_letter(len(COLUMNS))
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{row_number}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
