"""What lands in the audit trail: filing, withdrawal, staff reads of documents and staff account changes,
each recorded in the transaction of the change, so a change that is refused or rolled back leaves none.
"""

import pytest
from sqlalchemy import func, select

from onestop.accounts.models import Role, User
from onestop.audit.models import AuditRecord
from onestop.audit.services import audit_records_for, record, verify_chain
from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.procedures.models import Application
from tests.conftest import login, submit
from tests.filing import fill_all_steps, pdf_bytes, send, upload

POLICE = "000.00.02.H99"  # receives the criminal record certificate applications
WARD = "000.00.30.H99"


@pytest.fixture
def citizen(demo, create_citizen):
    return create_citizen(full_name="Nguyễn Thị Mai", citizen_id="001190012345", phone="0912345678")


def signed_in(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def filed(client) -> Application:
    application_id = fill_all_steps(client)
    assert upload(client, application_id, "the-can-cuoc", pdf_bytes()).status_code == 302
    assert send(client, application_id).status_code == 302
    return db.session.get(Application, application_id)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditRecord))


def test_filing_and_withdrawing_are_audited_with_who_what_and_why(app, citizen):
    mai = signed_in(app, citizen)
    application = filed(mai)
    response = submit(mai, f"/applications/{application.id}/withdraw", {"reason": "Nộp nhầm thủ tục"})
    assert response.status_code == 302

    trail = audit_records_for("application", application.id)
    assert [r.action for r in trail] == ["application.create", "application.submit", "application.withdraw"]
    assert {r.actor_id for r in trail} == {citizen.id}
    submitted, withdrawn = trail[1], trail[2]
    assert submitted.payload["code"] == application.code
    assert (submitted.payload["from_state"], submitted.payload["to_state"]) == ("draft", "submitted")
    assert withdrawn.payload | {"event_id": None} == {
        "event_id": None,
        "code": application.code,
        "from_state": "submitted",
        "to_state": "withdrawn",
        "reason": "Nộp nhầm thủ tục",
    }
    # One record per history event, in the order they happened, and the chain holds.
    assert [r.payload["event_id"] for r in trail] == [e.id for e in application.events]
    assert trail[0].sequence < trail[1].sequence < trail[2].sequence
    assert verify_chain().is_intact

    shown = app.test_cli_runner().invoke(args=["audit", "show", "--subject", f"application:{application.id}"])
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert len(lines) == 3 and "application.withdraw" in lines[2] and "Nộp nhầm thủ tục" in lines[2]


def test_a_staff_read_of_a_document_is_audited_and_a_refused_one_is_not(app, citizen, create_staff):
    application = filed(signed_in(app, citizen))
    document = db.session.scalar(select(Document).where(Document.source_application_id == application.id))
    before = count()

    outsider = signed_in(app, create_staff(agency_code=WARD))
    assert outsider.get(f"/office/documents/{document.id}?application={application.id}").status_code == 404
    assert count() == before

    officer = create_staff(role=Role.SPECIALIST, agency_code=POLICE, full_name="Lê Văn Công")
    office = signed_in(app, officer)
    assert office.get(f"/office/documents/{document.id}?application={application.id}").status_code == 200
    [read] = audit_records_for("document", document.id)
    assert (read.action, read.actor_id) == ("document.read", officer.id)
    assert read.payload["application_id"] == application.id
    assert read.payload["reason"] == f"processing application {application.code}"
    assert count() == before + 1 and verify_chain().is_intact


def test_staff_account_changes_in_the_admin_are_audited(client, create_staff):
    admin = create_staff(Role.AGENCY_ADMIN, WARD)
    clerk = create_staff(Role.CLERK, WARD)
    login(client, admin.email)
    agency_id = clerk.agency_id
    submit(
        client,
        "/admin/staff/new",
        {"full_name": "Đỗ Văn Hải", "email": "hai@minhson.example", "phone": "", "role": "clerk", "agency": agency_id},
    )
    hai = db.session.scalar(select(User).where(User.email == "hai@minhson.example"))
    submit(client, f"/admin/staff/{clerk.id}", {"role": "leader", "agency": agency_id})

    [created] = audit_records_for("user", hai.id)
    assert (created.action, created.actor_id, created.payload) == (
        "staff.create",
        admin.id,
        {"role": "clerk", "agency_id": agency_id},
    )
    [changed] = audit_records_for("user", clerk.id)
    assert (changed.action, changed.actor_id) == ("staff.update", admin.id)
    assert changed.payload == {"role": ["clerk", "leader"], "is_active": [True, False]}
    # Saving the form without changing anything is not an event.
    submit(client, f"/admin/staff/{clerk.id}", {"role": "leader", "agency": agency_id})
    assert len(audit_records_for("user", clerk.id)) == 1


def test_a_rolled_back_transaction_leaves_no_record_and_no_gap(app, demo):
    record("test.kept", "application", 1)
    db.session.commit()
    record("test.undone", "application", 2)
    db.session.rollback()
    record("test.kept", "application", 3)
    db.session.commit()
    trail = db.session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)).all()
    assert [(r.sequence, r.action, r.subject_id) for r in trail] == [(1, "test.kept", 1), (2, "test.kept", 3)]
    assert trail[1].previous_hash == trail[0].hash
    assert verify_chain().is_intact


def test_what_a_rolled_back_savepoint_audited_is_dropped_and_the_rest_kept(app, demo):
    record("test.kept", "application", 1)
    with pytest.raises(ZeroDivisionError), db.session.begin_nested():
        record("test.undone", "application", 2)
        raise ZeroDivisionError
    with db.session.begin_nested():
        record("test.kept", "application", 3)
    db.session.commit()
    assert [r.subject_id for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.sequence))] == [1, 3]


def test_a_session_closed_without_commit_forgets_what_it_audited(app, demo):
    record("test.undone", "application", 1)
    db.session.close()
    record("test.kept", "application", 2)
    db.session.commit()
    assert [r.subject_id for r in db.session.scalars(select(AuditRecord))] == [2]
