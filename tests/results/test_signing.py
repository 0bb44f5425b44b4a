"""The leader's approval is the signing: a real TOTP code, the real CSC service and TSA on loopback, a Celery task
(eager in tests), and the signed result in the citizen's warehouse, validated offline against the demo root."""

import hashlib
import io
import time

import pytest
from sqlalchemy import select

from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.results.models import SignedDocument, SignedKind
from onestop.signing import client
from onestop.signing.validation import validate_pdf
from tests.conftest import free_port, outbox
from tests.office.conftest import act
from tests.results.conftest import enrol_staff, fresh_code, sign_form


def _app(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


def _sign(leader, application_id: int, code: str):
    url = f"/office/applications/{application_id}/result/sign"
    page = leader.get(url).get_data(as_text=True)
    return leader.post(url, data=sign_form(page) | {"otp": code}), url


def _documents() -> list[Document]:
    return list(db.session.scalars(select(Document).where(Document.document_type_code == "ket-qua")))


def test_the_leader_signs_and_the_citizen_receives_a_valid_signed_result(awaiting, staff, signing_config):
    citizen, application_id, clients = awaiting
    leader = clients["leader"]
    totp = enrol_staff(signing_config, staff["leader"])
    url = f"/office/applications/{application_id}/result/sign"
    page = leader.get(url).get_data(as_text=True)
    draft = leader.get(f"/office/applications/{application_id}/result/draft.pdf").data
    assert "Phiếu lý lịch tư pháp" in page and "Nguyễn Thị Mai" in page
    assert hashlib.sha256(draft).hexdigest() in page

    response = leader.post(url, data=sign_form(page) | {"otp": fresh_code(totp)})
    assert response.status_code == 302
    page = leader.get(url).get_data(as_text=True)
    assert "Đã ký và ban hành" in page or "Signed and issued" in page

    application = _app(application_id)
    assert application.state == "returned"
    signed = db.session.scalar(select(SignedDocument).where(SignedDocument.kind != SignedKind.SLIP))
    assert signed.state == "signed" and signed.signer_name == "Ngô Thanh Sơn" and signed.document_id
    [document] = _documents()
    assert document.owner_id == application.applicant_id and document.blob_sha256 == signed.blob_sha256
    assert (document.expires_on - document.issued_on).days == 180

    downloaded = citizen.get(f"/warehouse/{document.id}/download").data
    report = validate_pdf(downloaded, signing_config.settings.trust_roots)
    assert report.is_genuine and report.signer_name == "Ngô Thanh Sơn", report
    assert any(m.recipient == "mai@example.com" and application.code in m.body for m in outbox("email"))
    assert "Phiếu lý lịch tư pháp" in citizen.get("/warehouse").get_data(as_text=True)


def test_a_wrong_code_leaves_the_file_where_it_was_and_a_new_code_then_works(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    totp = enrol_staff(signing_config, staff["leader"])
    good = fresh_code(totp)
    wrong = "000000" if good != "000000" else "111111"
    response, url = _sign(clients["leader"], application_id, wrong)
    assert response.status_code == 302
    page = clients["leader"].get(url).get_data(as_text=True)
    assert "Mã không đúng" in page or "The code is wrong" in page
    assert _app(application_id).state == "awaiting_approval" and not _documents()

    response, url = _sign(clients["leader"], application_id, good)
    assert _app(application_id).state == "returned" and len(_documents()) == 1


def test_a_reused_code_is_refused(awaiting, staff, signing_config, blank_pdf):
    _citizen, application_id, clients = awaiting
    totp = enrol_staff(signing_config, staff["leader"])
    code = fresh_code(totp)
    [credential] = client.call_service_sync(
        signing_config.settings, "csc/v1/credentials/list", {"userID": f"staff:{staff['leader'].id}"}
    )["credentialIDs"]
    client.sign_pdf(blank_pdf, credential, code, "000.00.02.H99", archival=False, settings=signing_config.settings)
    _response, url = _sign(clients["leader"], application_id, code)
    page = clients["leader"].get(url).get_data(as_text=True)
    assert "đã được dùng" in page or "already used" in page
    assert _app(application_id).state == "awaiting_approval" and not _documents()


def test_an_expired_code_is_refused(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    totp = enrol_staff(signing_config, staff["leader"])
    _response, url = _sign(clients["leader"], application_id, totp.at(time.time() - 300))
    page = clients["leader"].get(url).get_data(as_text=True)
    assert "hết hạn" in page or "expired" in page
    assert _app(application_id).state == "awaiting_approval"


def test_a_code_that_is_not_six_digits_is_refused_at_once(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    response, _url = _sign(clients["leader"], application_id, "12a")
    assert response.status_code == 422
    assert db.session.scalar(select(SignedDocument).where(SignedDocument.kind != SignedKind.SLIP)) is None


def test_a_leader_of_another_agency_can_never_sign(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    other = clients["other_leader"]
    enrol_staff(signing_config, staff["other_leader"], agency="000.00.30.H99")
    url = f"/office/applications/{application_id}/result/sign"
    assert other.get(url).status_code == 404
    page = clients["leader"].get(url).get_data(as_text=True)
    assert other.post(url, data=sign_form(page) | {"otp": "123456"}).status_code in (400, 404)
    assert _app(application_id).state == "awaiting_approval"


def test_a_credential_of_another_agency_is_refused_by_the_service(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    totp = enrol_staff(signing_config, staff["leader"], agency="000.00.30.H99")
    _response, url = _sign(clients["leader"], application_id, fresh_code(totp))
    page = clients["leader"].get(url).get_data(as_text=True)
    assert "cơ quan khác" in page or "another agency" in page
    assert _app(application_id).state == "awaiting_approval" and not _documents()


def test_a_leader_without_a_certificate_is_told(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    _response, url = _sign(clients["leader"], application_id, "123456")
    page = clients["leader"].get(url).get_data(as_text=True)
    assert "chưa có chứng thư" in page or "no signing certificate" in page
    assert _app(application_id).state == "awaiting_approval"


def test_a_signing_service_that_does_not_answer_leaves_nothing_half_done(
    awaiting, staff, signing_config, app, monkeypatch
):
    _citizen, application_id, clients = awaiting
    totp = enrol_staff(signing_config, staff["leader"])
    monkeypatch.setitem(app.config, "SIGNING_CSC_URL", f"http://127.0.0.1:{free_port()}")
    _response, url = _sign(clients["leader"], application_id, fresh_code(totp))
    page = clients["leader"].get(url).get_data(as_text=True)
    assert "không phản hồi" in page or "did not answer" in page
    assert _app(application_id).state == "awaiting_approval" and not _documents()
    assert db.session.scalar(select(SignedDocument).where(SignedDocument.kind != SignedKind.SLIP)).state == "failed"


def test_a_refusal_letter_is_signed_the_same_way(app, demo, create_citizen, staff, signing_config):
    from tests.office.conftest import as_staff, file_lltp

    _citizen_user, application_id, citizen = file_lltp(app, create_citizen, fee_category="exempt")
    clients = {role: as_staff(app, user) for role, user in staff.items()}
    act(clients["clerk"], application_id, "accept")
    act(clients["leader"], application_id, "assign", {"specialist": staff["specialist"].id})
    act(clients["specialist"], application_id, "propose", {"decision": "refuse", "note": "Không đủ điều kiện cấp"})
    totp = enrol_staff(signing_config, staff["leader"])
    response, _url = _sign(clients["leader"], application_id, fresh_code(totp))
    assert response.status_code == 302
    assert _app(application_id).state == "refused"
    signed = db.session.scalar(select(SignedDocument).where(SignedDocument.kind != SignedKind.SLIP))
    assert signed.kind == "refusal" and signed.state == "signed"
    [document] = _documents()
    pdf = citizen.get(f"/warehouse/{document.id}/download").data
    assert validate_pdf(pdf, signing_config.settings.trust_roots).is_genuine


@pytest.mark.parametrize("who", ["clerk", "specialist"])
def test_only_the_leader_reaches_the_signing_page(awaiting, staff, signing_config, who):
    _citizen, application_id, clients = awaiting
    response = clients[who].get(f"/office/applications/{application_id}/result/sign")
    assert response.status_code == 302
    assert _app(application_id).state == "awaiting_approval"


def _pdf_of_size(width: int, height: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=width, height=height)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_an_uploaded_result_is_signed_as_it_is(awaiting, staff, signing_config):
    from onestop.datastore.services import read_blob
    from tests.results.conftest import form_token

    _citizen, application_id, clients = awaiting
    leader = clients["leader"]
    totp = enrol_staff(signing_config, staff["leader"])
    page = leader.get(f"/office/applications/{application_id}/result/draft").get_data(as_text=True)
    # Bytes never stored before (not the citizen's own upload): attaching them must also record their blob.
    made_elsewhere = _pdf_of_size(612, 792)
    response = leader.post(
        f"/office/applications/{application_id}/result/upload",
        data={"csrf_token": form_token(page), "result": (io.BytesIO(made_elsewhere), "ket-qua.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    url = f"/office/applications/{application_id}/result/sign"
    page = leader.get(url).get_data(as_text=True)
    assert hashlib.sha256(made_elsewhere).hexdigest() in page
    response = leader.post(url, data=sign_form(page) | {"otp": fresh_code(totp)})
    assert _app(application_id).state == "returned", db.session.scalar(
        select(SignedDocument).where(SignedDocument.kind != SignedKind.SLIP)
    ).failure
    [document] = _documents()
    pdf = read_blob(document.blob_sha256)
    assert pdf.startswith(made_elsewhere[:8]) and len(pdf) > len(made_elsewhere)
    assert validate_pdf(pdf, signing_config.settings.trust_roots).is_genuine


def test_send_me_a_code_e_mails_the_leader_a_code_that_signs(awaiting, staff, signing_config):
    """The demo world's sent codes live 2 seconds (tests/signing): sign at once, with the page already open."""
    import re

    _citizen, application_id, clients = awaiting
    leader = clients["leader"]
    enrol_staff(signing_config, staff["leader"], otp="oob")
    url = f"/office/applications/{application_id}/result/sign"
    form = sign_form(leader.get(url).get_data(as_text=True))
    response = leader.post(f"/office/applications/{application_id}/result/send-code", data=form)
    assert response.status_code == 302
    [mail] = [m for m in outbox("email") if m.recipient == staff["leader"].email and m.event == "staff_signing_code"]
    code = re.search(r"(?:là|is) (\d{6})", mail.body)[1]
    leader.post(url, data=form | {"otp": code})
    signed = db.session.scalar(select(SignedDocument).where(SignedDocument.kind != SignedKind.SLIP))
    # Signed, or (on a slow machine) refused as expired: never anything in between.
    assert (signed.state, _app(application_id).state) in (("signed", "returned"), ("failed", "awaiting_approval"))
    if signed.state == "failed":
        assert signed.failure == "otp_expired"


def test_asking_for_a_code_without_a_certificate_is_told(awaiting, staff, signing_config):
    _citizen, application_id, clients = awaiting
    url = f"/office/applications/{application_id}/result/sign"
    page = clients["leader"].get(url).get_data(as_text=True)
    response = clients["leader"].post(f"/office/applications/{application_id}/result/send-code", data=sign_form(page))
    assert response.status_code == 422
    words = response.get_data(as_text=True)
    assert "chưa có chứng thư" in words or "no signing certificate" in words
    assert not [m for m in outbox("email") if m.event == "staff_signing_code"]


def test_a_signing_left_pending_by_a_dead_worker_is_failed_and_may_be_signed_again(app, demo):
    from datetime import timedelta

    from onestop.models import utcnow
    from onestop.results.codes import new_code
    from onestop.results.signing import failure_message
    from onestop.results.tasks import fail_stale_signings

    def pending(minutes_ago: int, kind=SignedKind.RESULT) -> SignedDocument:
        signed = SignedDocument(
            kind=kind, verification_code=new_code(), requested_at=utcnow() - timedelta(minutes=minutes_ago)
        )
        db.session.add(signed)
        return signed

    stale, fresh, slip = pending(20), pending(1), pending(20, SignedKind.SLIP)
    db.session.commit()
    assert fail_stale_signings.run() == 1
    db.session.expire_all()
    assert (stale.state, stale.failure) == ("failed", "interrupted")
    assert fresh.state == "pending" and slip.state == "pending"  # slips have their own sweep
    # The leader reads why, not the general "signing failed".
    with app.test_request_context():
        assert str(failure_message("interrupted")) != str(failure_message("no_such_code"))
