"""Counter intake: a clerk files for a walk-in citizen and scans their papers into the citizen's warehouse."""

import re

from onestop.accounts.models import User
from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.procedures.models import Application, Procedure
from tests.conftest import submit
from tests.filing import APPLICANT, CERTIFICATE, answer, pdf_bytes, send, upload
from tests.office.conftest import act, as_staff

WALK_IN_ID = "001190012399"


def _lltp_id() -> int:
    return db.session.scalar(db.select(Procedure.id).where(Procedure.slug == "cap-phieu-ly-lich-tu-phap"))


def test_clerk_files_for_a_walk_in_citizen(app, staff):
    clerk = as_staff(app, staff["clerk"])
    response = submit(
        clerk,
        "/office/counter",
        {"citizen_id": WALK_IN_ID, "full_name": "Hoàng Văn Lực", "phone": "0987654321", "procedure": _lltp_id()},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    application_id = int(re.search(r"/applications/(\d+)/", response.headers["Location"])[1])
    answer(clerk, response.headers["Location"], {**APPLICANT, "full_name": "Hoàng Văn Lực", "citizen_id": WALK_IN_ID})
    answer(clerk, f"/applications/{application_id}/steps/certificate", CERTIFICATE)
    answer(clerk, f"/applications/{application_id}/steps/residence", {"lived_elsewhere": "no"})
    upload(clerk, application_id, "the-can-cuoc", pdf_bytes(), filename="cccd-quet.pdf")
    assert send(clerk, application_id, delivery="counter").status_code == 302

    citizen = db.session.scalar(db.select(User).where(User.citizen_id == WALK_IN_ID))
    application = db.session.get(Application, application_id)
    assert application.state == "submitted" and application.applicant_id == citizen.id
    assert application.submitter_id == staff["clerk"].id
    scanned = db.session.scalar(db.select(Document).where(Document.filename == "cccd-quet.pdf"))
    assert scanned.owner_id == citizen.id and scanned.provenance == "digitised"
    assert scanned.added_by_id == staff["clerk"].id
    assert act(clerk, application_id, "accept").status_code == 302


def test_counter_form_explains_mistakes_and_keeps_what_was_typed(app, staff):
    clerk = as_staff(app, staff["clerk"])
    response = submit(
        clerk, "/office/counter", {"citizen_id": "12345", "full_name": "Hoàng Văn Lực", "phone": "", "procedure": ""}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Hoàng Văn Lực" in page and 'value="12345"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(User.full_name == "Hoàng Văn Lực")) == 0


def test_an_existing_citizen_is_found_by_id_number(app, staff, create_citizen):
    citizen = create_citizen(full_name="Trần Thị Hoa", citizen_id=WALK_IN_ID)
    clerk = as_staff(app, staff["clerk"])
    response = submit(clerk, "/office/counter", {"citizen_id": WALK_IN_ID, "full_name": "", "procedure": _lltp_id()})
    assert response.status_code == 302
    application = db.session.scalar(db.select(Application))
    assert application.applicant_id == citizen.id


def test_only_clerks_of_the_receiving_agency_file_at_the_counter(app, staff):
    ward = as_staff(app, staff["ward_clerk"])
    response = submit(ward, "/office/counter", {"citizen_id": WALK_IN_ID, "full_name": "A", "procedure": _lltp_id()})
    assert response.status_code == 422  # the police procedure is not offered at the ward's counter
    assert db.session.scalar(db.select(db.func.count()).select_from(Application)) == 0


# --- What the clerk sees of a citizen who already has an account ------------------------------------------------


def _citizen_with_saved_papers(app, create_citizen, phone="0911222333"):
    """A citizen who filed online once: their address is remembered and their ID card scan is in the warehouse."""
    from tests.conftest import login
    from tests.filing import fill_all_steps

    citizen = create_citizen(full_name="Nguyễn Thị Mai", email="mai@example.com", phone=phone)
    own = app.test_client()
    login(own, citizen.email)
    application_id = fill_all_steps(own)
    upload(own, application_id, "the-can-cuoc", pdf_bytes(), filename="cccd-cua-mai.pdf")
    assert send(own, application_id).status_code == 302
    saved = db.session.scalar(db.select(Document).where(Document.filename == "cccd-cua-mai.pdf"))
    return citizen, saved


def _counter_draft(clerk, citizen) -> tuple[int, str]:
    response = submit(
        clerk,
        "/office/counter",
        {"citizen_id": citizen.citizen_id, "full_name": "", "phone": "", "procedure": _lltp_id()},
    )
    assert response.status_code == 302
    return int(re.search(r"/applications/(\d+)/", response.headers["Location"])[1]), response.headers["Location"]


def _reuse(clerk, application_id: int, document_id: int):
    return submit(
        clerk,
        f"/applications/{application_id}/documents",
        {"action": "reuse", "type": "the-can-cuoc", "document": str(document_id)},
    )


def _consent(clerk, application_id: int, **form):
    return submit(
        clerk,
        f"/applications/{application_id}/counter-consent",
        {"back": f"/applications/{application_id}/documents", **form},
        page=f"/applications/{application_id}/documents",
    )


def test_an_id_number_alone_shows_the_clerk_nothing_saved_in_the_citizens_account(app, staff, create_citizen):
    citizen, saved = _citizen_with_saved_papers(app, create_citizen)
    clerk = as_staff(app, staff["clerk"])
    application_id, first_step = _counter_draft(clerk, citizen)

    step = clerk.get(first_step).get_data(as_text=True)
    assert citizen.citizen_id in step  # on the ID card the citizen hands over
    assert "12 Đường Lê Lợi" not in step and "mai@example.com" not in step and "0911222333" not in step
    documents = clerk.get(f"/applications/{application_id}/documents").get_data(as_text=True)
    assert "cccd-cua-mai.pdf" not in documents and f'value="{saved.id}"' not in documents

    response = _reuse(clerk, application_id, saved.id)
    assert response.status_code == 404
    assert db.session.get(Application, application_id).documents == []


def test_the_citizen_grants_their_saved_papers_by_reading_out_a_code(app, staff, create_citizen):
    from tests.conftest import outbox

    citizen, saved = _citizen_with_saved_papers(app, create_citizen)
    clerk = as_staff(app, staff["clerk"])
    application_id, first_step = _counter_draft(clerk, citizen)
    assert _consent(clerk, application_id, action="send").status_code == 302
    [sms] = [message for message in outbox("sms") if message.recipient == "0911222333"]
    code = re.search(r"\b(\d{6})\b", sms.body)[1]
    page = clerk.get(f"/applications/{application_id}/documents").get_data(as_text=True)
    assert "SMS 09******33" in page and code not in page

    wrong = _consent(clerk, application_id, action="confirm", code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 422 and 'href="#consent"' in wrong.get_data(as_text=True)
    assert _reuse(clerk, application_id, saved.id).status_code == 404

    assert _consent(clerk, application_id, action="confirm", code=code).status_code == 302
    assert "12 Đường Lê Lợi" in clerk.get(first_step).get_data(as_text=True)
    assert f'value="{saved.id}"' in clerk.get(f"/applications/{application_id}/documents").get_data(as_text=True)
    assert _reuse(clerk, application_id, saved.id).status_code == 302
    assert [link.document_id for link in db.session.get(Application, application_id).documents] == [saved.id]


def test_another_clerk_cannot_use_a_grant_or_guess_a_code_forever(app, staff, create_citizen, create_staff):
    from onestop.accounts.models import Role
    from tests.conftest import outbox
    from tests.office.conftest import POLICE

    citizen, saved = _citizen_with_saved_papers(app, create_citizen)
    clerk = as_staff(app, staff["clerk"])
    application_id, _first = _counter_draft(clerk, citizen)
    _consent(clerk, application_id, action="send")
    code = re.search(r"\b(\d{6})\b", outbox("sms")[-1].body)[1]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert _consent(clerk, application_id, action="confirm", code=wrong).status_code == 422
    # Five wrong guesses void the code, even the right one now.
    assert _consent(clerk, application_id, action="confirm", code=code).status_code == 422
    assert _reuse(clerk, application_id, saved.id).status_code == 404

    colleague = as_staff(app, create_staff(Role.CLERK, POLICE, "Lý Văn Tâm"))
    assert colleague.get(f"/applications/{application_id}/documents").status_code == 404


def test_a_clerks_data_download_holds_no_citizen_it_filed_for(app, staff):
    import io
    import json
    import zipfile

    clerk = as_staff(app, staff["clerk"])
    submit(
        clerk,
        "/office/counter",
        {"citizen_id": WALK_IN_ID, "full_name": "Hoàng Văn Lực", "phone": "0987654321", "procedure": _lltp_id()},
    )
    response = submit(clerk, "/account/export", {})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert json.loads(archive.read("applications.json")) == []


def test_a_supplement_to_a_counter_filing_takes_nothing_from_the_warehouse(app, staff, create_citizen):
    citizen, saved = _citizen_with_saved_papers(app, create_citizen)
    clerk = as_staff(app, staff["clerk"])
    application_id, first_step = _counter_draft(clerk, citizen)
    answer(clerk, first_step, {**APPLICANT, "citizen_id": citizen.citizen_id})
    answer(clerk, f"/applications/{application_id}/steps/certificate", CERTIFICATE)
    answer(clerk, f"/applications/{application_id}/steps/residence", {"lived_elsewhere": "no"})
    upload(clerk, application_id, "the-can-cuoc", pdf_bytes(), filename="cccd-quet.pdf")
    assert send(clerk, application_id, delivery="counter").status_code == 302
    note = {"document": "the-can-cuoc", "note-the-can-cuoc": "Bản chụp bị mờ"}
    assert act(clerk, application_id, "request-supplement", note).status_code == 302

    page = clerk.get(f"/applications/{application_id}/supplement").get_data(as_text=True)
    assert "cccd-cua-mai.pdf" not in page
    response = submit(clerk, f"/applications/{application_id}/supplement", {"reuse-the-can-cuoc": str(saved.id)})
    assert response.status_code == 404
    assert saved.id not in [link.document_id for link in db.session.get(Application, application_id).documents]


def test_a_clerk_who_moves_to_another_agency_no_longer_reaches_the_counter_filings(app, staff):
    from onestop.provinces.models import Agency
    from tests.office.conftest import WARD

    clerk = as_staff(app, staff["clerk"])
    response = submit(
        clerk,
        "/office/counter",
        {"citizen_id": WALK_IN_ID, "full_name": "Hoàng Văn Lực", "phone": "0987654321", "procedure": _lltp_id()},
    )
    application_id = int(re.search(r"/applications/(\d+)/", response.headers["Location"])[1])
    assert clerk.get(f"/applications/{application_id}/documents").status_code == 200

    moved = db.session.get(User, staff["clerk"].id)
    moved.agency_id = db.session.scalar(db.select(Agency.id).where(Agency.code == WARD))
    db.session.commit()
    assert clerk.get(f"/applications/{application_id}/documents").status_code == 404
    assert f"/applications/{application_id}" not in clerk.get("/applications").get_data(as_text=True)
