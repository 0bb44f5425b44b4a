"""Revoking a signed result: only a leader of the issuing agency may; the page and the citizen both know."""

import re
from types import SimpleNamespace

from onestop.accounts.models import Role
from onestop.datastore.models import IssuedType, Provenance
from onestop.datastore.services import add_document
from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.results.models import SignedDocument
from tests.conftest import csrf_token, login, outbox
from tests.office.conftest import POLICE, WARD, as_staff
from tests.results.test_verify import english, text, upload

REASON = "Ghi sai năm sinh của người được cấp phiếu"


def revoke(client, code: str, reason: str = REASON):
    page = client.get(f"/v/{code}/revoke")
    if page.status_code != 200:
        return page
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/v/{code}/revoke", data={"csrf_token": token, "reason": reason})


def _in_warehouse(signed_result) -> None:
    """Put the signed result in the applicant's warehouse, as the results flow does."""
    document = db.session.get(SignedDocument, signed_result.document_id)
    application = db.session.get(Application, signed_result.application_id)
    received = SimpleNamespace(
        sha256=document.blob_sha256, size=len(signed_result.pdf), content_type="application/pdf", filename="lltp.pdf"
    )
    copy = add_document(
        application.applicant, IssuedType.RESULT, received, "Phiếu lý lịch tư pháp", provenance=Provenance.ISSUED
    )
    document.document_id = copy.id
    db.session.commit()


def test_the_issuing_leader_revokes_and_everyone_sees_it(app, signed_result, staff, filed):
    _in_warehouse(signed_result)
    leader = english(app)
    login(leader, staff["leader"].email)
    offered = text(leader.get(f"/v/{signed_result.code}"))
    assert "Revoke this document" in offered

    empty = revoke(leader, signed_result.code, reason="  ")
    assert empty.status_code == 422 and "This field is required." in text(empty)
    done = revoke(leader, signed_result.code)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/v/{signed_result.code}")

    page = text(english(app).get(f"/v/{signed_result.code}"))
    assert "Revoked: this document is no longer valid" in page and REASON in page
    assert "Genuine" not in page
    # An uploaded copy of the revoked result is identical to what was issued, and still revoked.
    copy = text(upload(english(app), signed_result.pdf, signed_result.code))
    assert "Revoked" in copy and "Your file is exactly the one issued" in copy

    # The citizen is told on their channels, and sees it on the application page and in the warehouse.
    messages = [m for m in outbox() if signed_result.code in (m.body or "")]
    assert {m.channel for m in messages} >= {"email"}
    assert any(REASON in m.body for m in messages)
    _citizen, application_id, citizen = filed
    citizen.get("/lang/en?next=/")
    timeline = text(citizen.get(f"/applications/{application_id}"))
    assert "A document of this application was revoked" in timeline and REASON in timeline
    warehouse = text(citizen.get("/warehouse"))
    assert "Revoked" in warehouse and REASON in warehouse and signed_result.code in warehouse

    again = revoke(leader, signed_result.code)
    assert again.status_code == 403


def test_only_a_leader_of_the_issuing_agency_may_revoke(app, signed_result, staff, create_staff):
    ward_leader = create_staff(Role.LEADER, WARD, "Lý Văn Phường")
    admin = create_staff(Role.AGENCY_ADMIN, POLICE, "Quản Trị Viên")
    for user in (staff["specialist"], staff["clerk"], ward_leader, admin):
        client = as_staff(app, user)
        assert "Revoke this document" not in text(client.get(f"/v/{signed_result.code}"))
        refused = revoke(client, signed_result.code)
        assert refused.status_code == 403
        forced = client.post(f"/v/{signed_result.code}/revoke", data={"reason": "x"})
        assert forced.status_code in (400, 403)
    anonymous = app.test_client().get(f"/v/{signed_result.code}/revoke")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    citizen = app.test_client()
    login(citizen, "mai@example.com")
    assert revoke(citizen, signed_result.code).status_code == 403
    assert db.session.get(SignedDocument, signed_result.document_id).revoked_at is None
    assert re.search("Genuine", text(english(app).get(f"/v/{signed_result.code}")))
