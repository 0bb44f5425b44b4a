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
