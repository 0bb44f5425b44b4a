"""Driving a filing through the HTTP test client, for every test that needs a filed application."""

import io
import re

from pypdf import PdfWriter

from tests.conftest import submit

LLTP = "cap-phieu-ly-lich-tu-phap"
APPLICANT = {
    "full_name": "Nguyễn Thị Mai",
    "other_names": "",
    "gender": "female",
    "birth_date-day": "27",
    "birth_date-month": "3",
    "birth_date-year": "1990",
    "citizen_id": "001190012345",
    "address-unit": "99101",
    "address-street": "12 Đường Lê Lợi",
    "phone": "0912345678",
}
CERTIFICATE = {"kind": "1", "copies": "2", "purpose": "Bổ sung hồ sơ xin việc"}


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def start(client, slug=LLTP) -> str:
    response = submit(client, f"/procedures/{slug}/apply", {}, page=f"/procedures/{slug}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def answer(client, url: str, data: dict):
    return submit(client, url, {"action": "continue", **data}, page=url.split("?")[0])


def fill_all_steps(client, **certificate) -> int:
    url = start(client)
    application_id = int(re.search(r"/applications/(\d+)/", url)[1])
    answer(client, url, APPLICANT)
    answer(client, f"/applications/{application_id}/steps/certificate", {**CERTIFICATE, **certificate})
    answer(client, f"/applications/{application_id}/steps/residence", {"lived_elsewhere": "no"})
    return application_id


def upload(client, application_id: int, type_code: str, content: bytes, filename="scan.pdf"):
    page = client.get(f"/applications/{application_id}/documents")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    return client.post(
        f"/applications/{application_id}/documents",
        data={"csrf_token": token, "action": "upload", "type": type_code, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def send(client, application_id: int, delivery="online", page=None):
    page = page or f"/applications/{application_id}/review"
    return submit(client, f"/applications/{application_id}/submit", {"delivery": delivery}, page=page)
