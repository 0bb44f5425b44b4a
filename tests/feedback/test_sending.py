"""Sending feedback: routing to the responsible agency, the deadline in working days, who is told."""

from datetime import date

from onestop.extensions import db
from onestop.feedback.models import Feedback
from onestop.provinces.models import CalendarDay, DayKind
from tests.conftest import outbox
from tests.feedback.conftest import (
    BIRTH_SLUG,
    JUSTICE_SLUG,
    POLICE,
    WARD,
    agency_id,
    post_form,
    send_feedback,
    signed_in,
)
from tests.filing import pdf_bytes


def test_general_feedback_goes_to_the_chosen_agency_with_a_deadline_of_ten_working_days(
    app, demo, clock, officers, create_citizen
):
    citizen = create_citizen(full_name="Nguyễn Văn An", email="an@example.com", phone="0912000111")
    client = signed_in(app, citizen)
    response, feedback = send_feedback(client, agency=str(agency_id(WARD)))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert feedback.code in page and "16/12/2026" in page
    assert feedback.agency_id == agency_id(WARD)
    # Wednesday 2 Dec is the day received (not counted); ten working days end on Wednesday 16 Dec.
    assert feedback.due_on == date(2026, 12, 16)
    assert feedback.author_id == citizen.id
    # The citizen hears on e-mail and SMS; the ward's officers (not the police's) by e-mail.
    mine = [row for row in outbox() if row.event == "feedback_received"]
    assert {row.channel for row in mine} == {"email", "sms"}
    assert any("16/12/2026" in row.body and feedback.code in row.body for row in mine)
    staff_rows = [row for row in outbox() if row.event == "staff_new_feedback"]
    told = {row.recipient for row in staff_rows}
    assert {officers["ward_clerk"].email, officers["ward_leader"].email} <= told
    assert officers["police_clerk"].email not in told


def test_a_holiday_in_between_moves_the_deadline(app, demo, clock, officers, create_citizen):
    db.session.add(CalendarDay(province_id=demo.id, day=date(2026, 12, 8), kind=DayKind.HOLIDAY, name={"vi": "Nghỉ"}))
    db.session.commit()
    client = signed_in(app, create_citizen())
    _response, feedback = send_feedback(client, agency=str(agency_id(WARD)))
    assert feedback.due_on == date(2026, 12, 17)


def test_the_pack_sets_the_number_of_working_days(app, demo, clock, officers, create_citizen):
    demo.feedback_days = 3
    db.session.commit()
    client = signed_in(app, create_citizen())
    _response, feedback = send_feedback(client, agency=str(agency_id(WARD)))
    assert feedback.due_on == date(2026, 12, 7)  # Thu 3, Fri 4, (weekend), Mon 7


def test_feedback_about_a_procedure_goes_to_the_agency_receiving_it(app, demo, clock, officers, create_citizen):
    client = signed_in(app, create_citizen())
    _response, feedback = send_feedback(client, f"?procedure={JUSTICE_SLUG}")
    assert feedback.agency_id == agency_id(POLICE)
    assert feedback.procedure.slug == JUSTICE_SLUG
    _response, feedback = send_feedback(client, f"?procedure={BIRTH_SLUG}")
    assert feedback.agency_id == agency_id(WARD)


def test_feedback_about_an_application_goes_to_its_agency_from_the_application_page(
    app, demo, clock, officers, create_citizen
):
    from tests.office.conftest import file_lltp

    _citizen, application_id, client = file_lltp(app, create_citizen, fee_category="exempt")
    timeline = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert f"/feedback/new?application={application_id}" in timeline
    _response, feedback = send_feedback(client, f"?application={application_id}", kind="complaint")
    assert feedback.application_id == application_id and feedback.agency_id == agency_id(POLICE)
    # Another citizen cannot send feedback "about" someone else's file.
    other = signed_in(app, create_citizen())
    assert other.get(f"/feedback/new?application={application_id}").status_code == 404


def test_anonymous_feedback_gets_only_a_code_and_nobody_is_told_on_a_channel(app, demo, clock, officers):
    client = app.test_client()
    response, feedback = send_feedback(client, agency=str(agency_id(WARD)))
    assert response.status_code == 200
    assert feedback.author_id is None
    assert not [row for row in outbox() if row.event == "feedback_received"]
    # The code alone opens it, however it is typed.
    assert app.test_client().get(f"/feedback/{feedback.code}").status_code == 200
    lookup = post_form(
        app.test_client(), "/feedback/lookup", {"code": feedback.code[:5].lower() + " " + feedback.code[5:]}
    )
    assert lookup.status_code == 302 and lookup.headers["Location"].endswith(f"/feedback/{feedback.code}")


def test_an_application_feedback_cannot_be_anonymous(app, demo, clock, officers, create_citizen):
    from tests.office.conftest import file_lltp

    _citizen, application_id, client = file_lltp(app, create_citizen, fee_category="exempt")
    _response, feedback = send_feedback(client, f"?application={application_id}", anonymous="y")
    assert feedback.author_id is not None


def test_attachments_are_checked_and_kept(app, demo, clock, officers, create_citizen):
    client = signed_in(app, create_citizen())
    _response, feedback = send_feedback(client, agency=str(agency_id(WARD)), files=[("bien-nhan.pdf", pdf_bytes())])
    assert [file.filename for file in feedback.attachments] == ["bien-nhan.pdf"]
    download = client.get(f"/feedback/{feedback.code}/files/{feedback.attachments[0].id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    ward = signed_in(app, officers["ward_clerk"])
    assert ward.get(f"/office/feedback/{feedback.id}/files/{feedback.attachments[0].id}").status_code == 200
    police = signed_in(app, officers["police_clerk"])
    assert police.get(f"/office/feedback/{feedback.id}/files/{feedback.attachments[0].id}").status_code == 404


def test_a_staff_account_cannot_send_feedback(app, demo, clock, officers):
    client = signed_in(app, officers["ward_clerk"])
    response, feedback = send_feedback(client, agency=str(agency_id(WARD)))
    assert response.status_code == 422 and feedback is None
    assert db.session.scalar(db.select(db.func.count(Feedback.id))) == 0


def test_closing_the_account_keeps_the_files_sent_with_feedback(app, demo, clock, officers, create_citizen):
    from tests.datastore.test_warehouse import put_in_warehouse

    client = signed_in(app, create_citizen())
    same = pdf_bytes()
    assert put_in_warehouse(client, content=same).status_code == 302
    _response, feedback = send_feedback(client, agency=str(agency_id(WARD)), files=[("scan.pdf", same)])
    closed = post_form(client, "/account/close", {"password": "correct horse 42"})
    assert closed.status_code == 302 and closed.headers["Location"] == "/account/closed"
    ward = signed_in(app, officers["ward_clerk"])
    download = ward.get(f"/office/feedback/{feedback.id}/files/{feedback.attachments[0].id}")
    assert download.status_code == 200 and download.data == same


def test_the_personal_data_export_holds_the_feedback_sent_in_ones_name(app, demo, clock, officers, create_citizen):
    import io
    import json
    import zipfile

    client = signed_in(app, create_citizen())
    _response, feedback = send_feedback(client, agency=str(agency_id(WARD)), title="Chậm trả kết quả")
    response = post_form(client, "/account/export", {})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    [sent] = json.loads(archive.read("feedback.json"))
    assert sent["code"] == feedback.code and sent["title"] == "Chậm trả kết quả" and sent["answer"] is None
