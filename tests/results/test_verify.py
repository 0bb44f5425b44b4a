"""The public verification page: a third party checks a signed result by code, by QR link and by upload."""

import io
import re

from pypdf import PdfReader, PdfWriter

from onestop.results.codes import verification_url
from tests.conftest import csrf_token

MASKED = "Ng***n T*** M***"  # Nguyễn Thị Mai


def english(app):
    visitor = app.test_client()
    visitor.get("/lang/en?next=/")
    return visitor


def upload(visitor, content: bytes, code: str = "", filename: str = "result.pdf"):
    token = csrf_token(visitor.get("/verify").get_data(as_text=True))
    return visitor.post(
        "/verify",
        data={"csrf_token": token, "code": code, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def changed_one_byte(pdf: bytes) -> bytes:
    data = bytearray(pdf)
    where = data.find(b"/MediaBox")
    data[where + 3] = ord("x")
    return bytes(data)


def test_the_qr_link_shows_a_genuine_result_and_who_signed_it(app, signed_result):
    visitor = english(app)
    with app.test_request_context():
        link = verification_url(signed_result.code)
    assert link.endswith(f"/v/{signed_result.code}")
    page = text(visitor.get(link.removeprefix("http://localhost")))
    assert "Genuine: issued by the agency below and not changed since" in page
    assert "Criminal record certificate no. 1" in page and "Ngô Thanh Sơn" in page
    assert "The signature is intact" in page and "The signing certificate is trusted" in page
    assert "Revoke this document" not in page  # a stranger is offered nothing to do


def test_a_typed_code_in_any_case_and_spacing_leads_to_the_same_page(app, signed_result):
    visitor = english(app)
    token = csrf_token(visitor.get("/verify").get_data(as_text=True))
    typed = " " + signed_result.code.replace("-", " ").lower() + " "
    response = visitor.post("/verify", data={"csrf_token": token, "code": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/v/{signed_result.code}")


def test_the_page_masks_the_name_and_never_shows_the_id_number(app, signed_result):
    page = text(english(app).get(f"/v/{signed_result.code}"))
    assert MASKED in page
    assert "Nguyễn Thị Mai" not in page and "001190012345" not in page


def test_the_vietnamese_page_is_the_default(app, signed_result):
    page = text(app.test_client().get(f"/v/{signed_result.code}"))
    assert "Văn bản thật" in page and "Phiếu lý lịch tư pháp số 1" in page and MASKED in page


def test_an_uploaded_copy_is_compared_with_what_was_issued(app, signed_result):
    visitor = english(app)
    same = text(upload(visitor, signed_result.pdf, signed_result.code))
    assert "Genuine" in same and "Your file is exactly the one issued under this code." in same
    # Without the code the portal finds the document by the file's digest.
    alone = text(upload(visitor, signed_result.pdf))
    assert "Genuine" in alone and signed_result.code in alone


def test_one_changed_byte_is_reported_as_not_genuine(app, signed_result):
    visitor = english(app)
    tampered = changed_one_byte(signed_result.pdf)
    with_code = text(upload(visitor, tampered, signed_result.code))
    assert "Not genuine: this file is not the document that was issued" in with_code
    assert "It was changed after it was signed." in with_code
    assert "The signature is broken" in with_code
    without_code = text(upload(visitor, tampered))
    assert "Not genuine" in without_code and "The signature is broken" in without_code


def test_a_pdf_signed_by_nobody_the_province_trusts_is_not_genuine(app, signed_result):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    unsigned = io.BytesIO()
    writer.write(unsigned)
    page = text(upload(english(app), unsigned.getvalue()))
    assert "Not genuine" in page and "The file carries no electronic signature." in page


def test_bad_uploads_get_a_plain_answer_never_a_500(app, signed_result, blank_pdf, monkeypatch):
    visitor = english(app)
    assert "This file is not a PDF" in text(upload(visitor, b"PK\x03\x04 a zip file", filename="x.zip"))
    damaged = text(upload(visitor, b"%PDF-1.7\n" + b"\x00garbage" * 50, signed_result.code))
    assert "This PDF is damaged and cannot be read" in damaged
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank_pdf)))
    writer.encrypt("secret")
    locked = io.BytesIO()
    writer.write(locked)
    assert "locked with a password" in text(upload(visitor, locked.getvalue()))
    assert "This file is empty" in text(upload(visitor, b""))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 4096)
    huge = upload(visitor, b"%PDF-1.7\n" + b"0" * 100_000)
    assert huge.status_code == 200 and "This file is too large to check" in text(huge)


def test_unknown_and_malformed_codes(app, signed_result):
    visitor = english(app)
    unknown = visitor.get("/v/2222-3333-44")
    assert unknown.status_code == 404 and "No document has this verification code" in text(unknown)
    nonsense = visitor.get("/v/not-a-code-at-all")
    assert nonsense.status_code == 404
    token = csrf_token(visitor.get("/verify").get_data(as_text=True))
    typed = visitor.post("/verify", data={"csrf_token": token, "code": "ABC"})
    assert typed.status_code == 422 and "This is not a verification code" in text(typed)
    empty = visitor.post("/verify", data={"csrf_token": token, "code": ""})
    assert empty.status_code == 422 and "Type the verification code, or choose the PDF file" in text(empty)


def test_the_page_is_light_and_works_without_javascript(app, signed_result):
    response = english(app).get(f"/v/{signed_result.code}")
    html = response.get_data(as_text=True)
    assert "<script" not in html
    css = app.test_client().get("/static/css/site.css")
    assert len(response.data) + len(css.data) < 100_000
    assert 'for="code"' in html and 'id="code"' in html and 'for="file"' in html


def test_lookups_are_rate_limited(app, signed_result, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "3 per minute")
    visitor = english(app)
    statuses = [visitor.get(f"/v/{signed_result.code}").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


def test_a_replaced_document_links_to_the_newer_one(app, signed_result):
    from onestop.extensions import db
    from onestop.results.models import SignedDocument
    from tests.results.conftest import POLICE, store_signed

    newer = store_signed(app, signed_result.application_id, POLICE, signed_result.pdf + b"\n", "Ngô Thanh Sơn")
    db.session.get(SignedDocument, signed_result.document_id).replaced_by_id = newer.id
    db.session.commit()
    response = english(app).get(f"/v/{signed_result.code}")
    page = text(response)
    assert "Replaced by a newer document" in page and f'href="/v/{newer.verification_code}"' in page
