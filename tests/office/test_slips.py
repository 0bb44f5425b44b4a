"""The slips an officer issues, read back as text from the PDFs the citizen and the officer download."""

import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from onestop.extensions import db
from onestop.procedures.models import Application
from tests.conftest import login
from tests.filing import APPLICANT, CERTIFICATE, answer, pdf_bytes, send, start, upload
from tests.office.conftest import act, as_staff


def _text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def _slip_links(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({prefix}/\d+/slips/\d+\.pdf)"', html)


def test_receipt_supplement_and_apology_slips(app, staff, filed):
    from datetime import timedelta

    _citizen, application_id, citizen_client = filed
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    act(clerk, application_id, "request-supplement", {"document": "the-can-cuoc", "note-the-can-cuoc": "Ảnh bị mờ"})
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    [link] = _slip_links(timeline, "/applications")
    text = _text(citizen_client.get(link))
    code = db.session.get(Application, application_id).code
    assert code in text and "Nguyễn Thị Mai" in text and "Ảnh bị mờ" in text
    assert "BỔ SUNG" in text.upper()

    page = citizen_client.get(f"/applications/{application_id}/supplement").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    supplied = citizen_client.post(
        f"/applications/{application_id}/supplement",
        data={"csrf_token": token, "send": "1", "file-the-can-cuoc": (io.BytesIO(pdf_bytes() + b"%new"), "moi.pdf")},
        content_type="multipart/form-data",
    )
    assert supplied.status_code == 302
    act(clerk, application_id, "accept")
    application = db.session.get(Application, application_id)
    office = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    receipt = _text(clerk.get(_slip_links(office, "/office/applications")[-1]))
    assert "TIẾP NHẬN" in receipt.upper() and code in receipt
    assert f"{application.due_on:%d/%m/%Y}" in receipt
    # The applicant's address as a line of text, with the ward's name, not the stored answer.
    assert "12 Đường Lê Lợi, Phường" in receipt.replace("\n", " ") and "'unit'" not in receipt

    new = application.due_on + timedelta(days=14)
    while new.weekday() >= 5:
        new += timedelta(days=1)
    response = act(leader, application_id, "apologise", {"new_due_on": new.isoformat(), "reason": "Chờ xác minh"})
    if response.status_code == 302:  # unless the chosen day is a holiday
        office = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
        apology = _text(clerk.get(_slip_links(office, "/office/applications")[-1]))
        assert "XIN LỖI" in apology.upper() and f"{new:%d/%m/%Y}" in apology and "Chờ xác minh" in apology

    control = _text(clerk.get(f"/office/applications/{application_id}/control.pdf"))
    assert code in control and "KIỂM SOÁT" in control.upper()


def test_refusal_slip_and_nobody_elses_slips(app, staff, filed, create_citizen):
    from tests.conftest import login

    _citizen, application_id, citizen_client = filed
    clerk = as_staff(app, staff["clerk"])
    act(clerk, application_id, "refuse", {"reason": "Không thuộc thẩm quyền giải quyết"})
    [link] = _slip_links(citizen_client.get(f"/applications/{application_id}").get_data(as_text=True), "/applications")
    assert "Không thuộc thẩm quyền giải quyết" in _text(citizen_client.get(link))
    other = app.test_client()
    login(other, create_citizen(full_name="Người Khác").email)
    assert other.get(link).status_code == 404
    ward = as_staff(app, staff["ward_clerk"])
    assert ward.get(link.replace("/applications", "/office/applications")).status_code == 404


def test_tracking_book_lists_what_the_agency_accepted(app, staff, filed):
    _citizen, application_id, _client = filed
    clerk = as_staff(app, staff["clerk"])
    act(clerk, application_id, "accept")
    response = clerk.get("/office/tracking-book.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert db.session.get(Application, application_id).code in values
    assert "Nguyễn Thị Mai" in values
    assert any(isinstance(v, str) and v.startswith("12 Đường Lê Lợi, Phường") for v in values)
    assert as_staff(app, staff["ward_clerk"]).get("/office/tracking-book.xlsx").status_code == 200
    ward_sheet = load_workbook(io.BytesIO(as_staff(app, staff["ward_clerk"]).get("/office/tracking-book.xlsx").data))
    ward_values = [cell for row in ward_sheet.active.iter_rows(values_only=True) for cell in row if cell]
    assert db.session.get(Application, application_id).code not in ward_values


def test_tracking_book_keeps_a_typed_formula_as_text(app, staff, demo, create_citizen):
    """A name and an address typed as formulas reach the clerk's book as the text typed, never as formulas."""
    name = '=HYPERLINK("http://attacker.example/","Nguyễn Thị Mai")'
    citizen = create_citizen(full_name=name, email="formula@example.com")
    client = app.test_client()
    login(client, citizen.email)
    url = start(client)
    application_id = int(re.search(r"/applications/(\d+)/", url)[1])
    answer(client, url, {**APPLICANT, "address-street": "@SUM(1+1)*cmd|' /C calc'!A0"})
    answer(client, f"/applications/{application_id}/steps/certificate", {**CERTIFICATE, "fee_category": "exempt"})
    answer(client, f"/applications/{application_id}/steps/residence", {"lived_elsewhere": "no"})
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    assert send(client, application_id).status_code == 302
    clerk = as_staff(app, staff["clerk"])
    act(clerk, application_id, "accept")
    sheet = load_workbook(io.BytesIO(clerk.get("/office/tracking-book.xlsx").data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if cell.quotePrefix]
    assert name in texts
    assert any(text.startswith("@SUM(1+1)*cmd|' /C calc'!A0, ") for text in texts)


def test_a_slip_pdf_is_not_compressed_again(app, staff, filed):
    _citizen, application_id, _citizen_client = filed
    clerk = as_staff(app, staff["clerk"])
    response = clerk.get(f"/office/applications/{application_id}/control.pdf", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"%PDF-") and "KIỂM SOÁT" in _text(response).upper()
