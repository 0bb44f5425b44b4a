"""A citizen signs their declaration and a letter of authorisation with the real signing service and TSA on
loopback (a Celery task, eager in tests); the signed files replace the unsigned ones, validate offline against
the demo root, and the clerk sees who signed them."""

import hashlib
import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.results.models import SignedDocument, SignedKind
from onestop.signing.validation import validate_pdf
from tests.conftest import login, submit
from tests.declarations.conftest import AUTHORISATION, enrol, fresh_code, new_citizen, shown_sha256, sign
from tests.filing import send
from tests.office.conftest import POLICE


def _declarations() -> list[SignedDocument]:
    db.session.expire_all()
    return list(db.session.scalars(select(SignedDocument).where(SignedDocument.kind == SignedKind.DECLARATION)))


def test_enrolment_shows_the_qr_code_once_and_the_certificate_names_only_the_person(draft):
    client = draft.client
    page = client.get("/account/signature").get_data(as_text=True)
    assert "Chưa thiết lập" in page or "Not set up" in page
    wrong = submit(client, "/account/signature", {"action": "setup", "password": "not my password"})
    assert wrong.status_code == 422 and "<svg" not in wrong.get_data(as_text=True)

    enrol(client)
    page = client.get("/account/signature").get_data(as_text=True)
    assert "<svg" not in page  # shown once
    assert "Sẵn sàng" in page or "Ready" in page
    subject = re.search(r"<dd>([^<]*Common Name[^<]*)</dd>", page)[1]
    assert "Nguyễn Thị Mai" in subject and "Organization" not in subject and "Serial" not in subject

    again = submit(client, "/account/signature", {"action": "setup", "password": "correct horse 42"})
    assert again.status_code == 409
    assert client.get("/account/").get_data(as_text=True).count("/account/signature") == 1


def test_the_citizen_signs_the_declaration_and_the_authorisation_and_the_clerk_sees_it(
    app, draft, portal_signing, create_staff
):
    from onestop.accounts.models import Role

    client = draft.client
    totp = enrol(client)
    papers = client.get(f"/applications/{draft.application_id}/sign").get_data(as_text=True)
    assert "Tờ khai cấp Phiếu lý lịch tư pháp" in papers or "Declaration: Criminal record" in papers

    page = client.get(draft.url()).get_data(as_text=True)
    unsigned = client.get(f"/applications/{draft.application_id}/sign/declaration.pdf").data
    assert hashlib.sha256(unsigned).hexdigest() == shown_sha256(page)
    text = PdfReader(io.BytesIO(unsigned)).pages[0].extract_text()
    assert "TỜ KHAI" in text and "Nguyễn Thị Mai" in text and "Công an tỉnh" in text, text
    assert client.get(draft.url()).get_data(as_text=True).count(shown_sha256(page)) >= 1  # not rendered anew

    response = sign(client, draft.url(), fresh_code(totp))
    assert response.status_code == 302
    after = client.get(draft.url()).get_data(as_text=True)
    assert "Đã ký" in after or "Signed." in after
    declaration = draft.link("to-khai").document
    report = validate_pdf(client.get(f"/warehouse/{declaration.id}/download").data, portal_signing.settings.trust_roots)
    assert report.is_genuine and report.intact and report.trusted and report.signer_name == "Nguyễn Thị Mai", report
    assert report.timestamp is not None  # PAdES with the TSA's signature timestamp

    original = draft.link(AUTHORISATION).document
    key = f"paper-{draft.link(AUTHORISATION).id}"
    page = client.get(draft.url(key)).get_data(as_text=True)
    assert shown_sha256(page) == original.blob_sha256
    assert sign(client, draft.url(key), fresh_code(totp)).status_code == 302
    signed_paper = draft.link(AUTHORISATION).document
    assert signed_paper.id != original.id and signed_paper.owner_id == draft.user.id
    assert len([link for link in draft.application().documents if link.document_type_code == AUTHORISATION]) == 1
    pdf = client.get(f"/warehouse/{signed_paper.id}/download").data
    assert validate_pdf(pdf, portal_signing.settings.trust_roots).is_genuine
    assert {signed.state for signed in _declarations()} == {"signed"} and len(_declarations()) == 2

    assert send(client, draft.application_id).status_code == 302
    clerk = create_staff(Role.CLERK, POLICE, "Đặng Thị Lan")
    office = app.test_client()
    login(office, clerk.email)
    file_page = office.get(f"/office/applications/{draft.application_id}").get_data(as_text=True)
    assert file_page.count("Người nộp đã ký") + file_page.count("Signed by the applicant") == 2
    assert "Nguyễn Thị Mai" in file_page
    assert "chữ ký còn nguyên vẹn" in file_page or "signature intact" in file_page
    assert "chứng thư được tin cậy" in file_page or "certificate trusted" in file_page

    code = _declarations()[0].verification_code
    public = app.test_client().get(f"/v/{code}").get_data(as_text=True)
    assert "Nguyễn Thị Mai" not in public and "Ng***n" in public
    assert "người nộp" in public.lower() or "applicant" in public


def test_a_wrong_code_then_a_reused_code_are_refused_and_the_draft_stays_as_it_was(draft):
    client = draft.client
    totp = enrol(client)
    good = fresh_code(totp)
    wrong = "000000" if good != "000000" else "111111"
    assert sign(client, draft.url(), wrong).status_code == 302
    page = client.get(draft.url()).get_data(as_text=True)
    assert "Mã không đúng" in page or "The code is wrong" in page
    assert not draft.has_declaration() and _declarations()[0].state == "failed"

    assert sign(client, draft.url(), good).status_code == 302
    assert draft.has_declaration()
    key = f"paper-{draft.link(AUTHORISATION).id}"
    before = draft.link(AUTHORISATION).document_id
    assert sign(client, draft.url(key), good).status_code == 302
    page = client.get(draft.url(key)).get_data(as_text=True)
    assert "đã được dùng" in page or "already used" in page
    assert draft.link(AUTHORISATION).document_id == before


def test_another_citizen_cannot_see_or_sign_these_papers(app, draft, create_citizen):
    other = new_citizen(app, create_citizen, "Trần Văn Bình", "binh-other@example.com")
    client = app.test_client()
    login(client, other.email)
    assert client.get(draft.url()).status_code == 404
    assert client.get(f"/applications/{draft.application_id}/sign").status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/signature").get_data(as_text=True))[1]
    response = client.post(draft.url(), data={"csrf_token": token, "otp": "123456", "sha256": "0" * 64})
    assert response.status_code == 404 and not _declarations()


def test_without_a_signature_or_after_stopping_it_the_citizen_is_told_what_to_do(draft):
    client = draft.client
    page = client.get(draft.url()).get_data(as_text=True)
    assert 'name="otp"' not in page and "/account/signature" in page

    totp = enrol(client)
    stopped = submit(client, "/account/signature", {"action": "stop", "password": "correct horse 42"})
    assert stopped.status_code == 302
    page = client.get("/account/signature").get_data(as_text=True)
    assert "Đã dừng" in page or "Stopped" in page
    page = client.get(draft.url()).get_data(as_text=True)
    assert 'name="otp"' not in page  # a stopped signature cannot sign: set it up again first

    totp = enrol(client, action="setup")
    assert sign(client, draft.url(), fresh_code(totp)).status_code == 302
    assert draft.has_declaration()


def test_a_signature_stopped_between_page_and_task_is_refused(app, draft, portal_signing):
    from onestop.declarations import credentials

    client = draft.client
    totp = enrol(client)
    page = client.get(draft.url()).get_data(as_text=True)
    with app.app_context():
        credentials._revoke_all(draft.user, portal_signing.settings)
    submit(client, draft.url(), {"otp": fresh_code(totp), "sha256": shown_sha256(page)})
    page = client.get(draft.url()).get_data(as_text=True)
    assert "đã bị dừng" in page or "was stopped" in page
    assert not draft.has_declaration()


def test_a_paper_that_is_not_a_pdf_cannot_be_signed(draft):
    from tests.datastore.conftest import png_of_size
    from tests.filing import upload

    client = draft.client
    totp = enrol(client)
    png = png_of_size(400, 300)
    assert upload(client, draft.application_id, "the-can-cuoc", png, "the.png").status_code == 302
    link = next(link for link in draft.application().documents if link.document.filename == "the.png")
    page = client.get(draft.url(f"paper-{link.id}")).get_data(as_text=True)
    assert "Chỉ ký được tệp PDF" in page or "Only PDF files can be signed" in page
    response = submit(client, draft.url(f"paper-{link.id}"), {"otp": fresh_code(totp), "sha256": "0" * 64})
    assert response.status_code == 422 and not _declarations()


def test_a_signing_service_that_does_not_answer_leaves_the_draft_unchanged(app, draft, monkeypatch):
    from tests.conftest import free_port

    client = draft.client
    totp = enrol(client)
    page = client.get(draft.url()).get_data(as_text=True)
    monkeypatch.setitem(app.config, "SIGNING_CSC_URL", f"http://127.0.0.1:{free_port()}")
    submit(client, draft.url(), {"otp": fresh_code(totp), "sha256": shown_sha256(page)})
    page = client.get(draft.url()).get_data(as_text=True)
    assert "không phản hồi" in page or "did not answer" in page
    assert not draft.has_declaration() and _declarations()[0].state == "failed"
    declarations = select(func.count()).select_from(Document).where(Document.document_type_code == "to-khai")
    assert db.session.scalar(declarations) == 0


def test_a_declaration_signed_before_the_answers_changed_is_signed_again_in_its_place(draft):
    from tests.filing import CERTIFICATE, answer

    client = draft.client
    totp = enrol(client)
    assert sign(client, draft.url(), fresh_code(totp)).status_code == 302
    first = draft.link("to-khai").document_id
    answer(client, f"/applications/{draft.application_id}/steps/certificate", {**CERTIFICATE, "copies": "3"})
    papers = client.get(f"/applications/{draft.application_id}/sign").get_data(as_text=True)
    assert "ký lại" in papers or "sign again" in papers

    assert sign(client, draft.url(), fresh_code(totp)).status_code == 302
    declarations = [link for link in draft.application().documents if link.document_type_code == "to-khai"]
    assert len(declarations) == 1 and declarations[0].document_id != first
    assert [signed.state for signed in _declarations()] == ["signed", "signed"]


def test_what_cannot_be_signed_is_refused_before_a_code_is_spent(app):
    import io

    import pytest
    from pypdf import PdfWriter

    from onestop.declarations.services import check_pdf
    from onestop.errors import InvalidInput
    from tests.filing import pdf_bytes

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    with app.test_request_context():
        check_pdf(pdf_bytes())
        unreadable = ("không phải tệp PDF đọc được", "not a PDF that can be read")
        for content, words in (
            (encrypted.getvalue(), ("mật khẩu", "password")),
            (b"%PDF-1.7\nnot really a pdf", unreadable),
            (b"GIF89a", unreadable),
        ):
            with pytest.raises(InvalidInput) as refused:
                check_pdf(content)
            assert any(word in refused.value.message for word in words), refused.value.message


def test_closing_the_account_erases_a_draft_with_its_signed_papers(draft):
    from onestop.declarations.models import SignedPaper

    client = draft.client
    totp = enrol(client)
    assert sign(client, draft.url(), fresh_code(totp)).status_code == 302
    key = f"paper-{draft.link(AUTHORISATION).id}"
    assert sign(client, draft.url(key), fresh_code(totp)).status_code == 302
    response = submit(client, "/account/close", {"password": "correct horse 42"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/closed"
    db.session.expire_all()
    assert not _declarations() and not db.session.scalars(select(SignedPaper)).all()
    assert not db.session.scalars(select(Document).where(Document.owner_id == draft.user.id)).all()


def test_an_expired_code_is_refused(draft):
    import time

    client = draft.client
    totp = enrol(client)
    old = totp.at(time.time() - 4 * totp.interval)
    assert sign(client, draft.url(), old).status_code == 302
    page = client.get(draft.url()).get_data(as_text=True)
    assert "hết hạn" in page or "has expired" in page
    assert not draft.has_declaration()


def test_a_time_stamping_service_that_does_not_answer_leaves_the_draft_unchanged(app, draft, monkeypatch):
    from tests.conftest import free_port

    client = draft.client
    totp = enrol(client)
    key = f"paper-{draft.link(AUTHORISATION).id}"
    before = draft.link(AUTHORISATION).document_id
    page = client.get(draft.url(key)).get_data(as_text=True)
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", f"http://127.0.0.1:{free_port()}/tsa")
    submit(client, draft.url(key), {"otp": fresh_code(totp), "sha256": shown_sha256(page)}, page=draft.url(key))
    page = client.get(draft.url(key)).get_data(as_text=True)
    assert "dịch vụ cấp dấu thời gian" in page.lower() or "time-stamping service did not answer" in page, page
    assert draft.link(AUTHORISATION).document_id == before and _declarations()[0].state == "failed"
