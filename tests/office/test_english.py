"""What the back office and the applicant read in English, while the records (slips) keep Vietnamese."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from onestop.extensions import db
from onestop.procedures.models import Application, ClockKind
from tests.approving import sign_form
from tests.office.conftest import act, as_staff, file_lltp

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _in(client, lang: str):
    client.get(f"/lang/{lang}?next=/")
    return client


def test_the_deadline_trace_is_in_the_readers_language_with_holiday_names(app, staff, filed):
    _citizen, application_id, _client = filed
    clerk = as_staff(app, staff["clerk"])
    assert act(clerk, application_id, "accept").status_code == 302
    # Accepted on Friday 13 February 2026 at 10:00, just before Tết: the trace walks over the holidays.
    application = db.session.get(Application, application_id)
    [start] = [entry for entry in application.clock if entry.kind == ClockKind.START]
    start.at = datetime(2026, 2, 13, 10, 0, tzinfo=VN).astimezone(UTC)
    db.session.commit()

    english = _in(clerk, "en").get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "Friday 13/02/2026: file accepted (at 10:00)" in english
    assert "Friday 13/02/2026: day of receipt, not counted in the time limit" in english
    assert "Saturday 14/02/2026: not counted — Saturday (weekend)" in english
    assert "Tuesday 17/02/2026: not counted — Lunar New Year" in english
    assert "Monday 23/02/2026: working day 1" in english
    assert "Tết" not in english and "Thứ" not in english

    vietnamese = _in(clerk, "vi").get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "Thứ Ba 17/02/2026: không tính — Tết Nguyên Đán" in vietnamese
    assert "Thứ Bảy 14/02/2026: không tính — Thứ Bảy (nghỉ cuối tuần)" in vietnamese
    assert "Thứ Hai 23/02/2026: ngày làm việc thứ 1" in vietnamese


def test_supplement_items_are_named_per_reader_and_kept_in_vietnamese_for_the_slip(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    clerk = _in(as_staff(app, staff["clerk"]), "en")  # the officer works in English
    response = act(
        clerk,
        application_id,
        "request-supplement",
        {"document": "the-can-cuoc", "note-the-can-cuoc": "Ảnh mờ", "other": "Ghi rõ mục đích"},
    )
    assert response.status_code == 302
    application = db.session.get(Application, application_id)
    # What the slip prints stays Vietnamese, whatever language the officer used.
    [request] = application.supplements
    assert [item["title"] for item in request.items] == ["Thẻ căn cước hoặc căn cước công dân", "Nội dung khác"]
    [slip] = [slip for slip in application.slips if slip.kind == "supplement"]
    assert [item["title"] for item in slip.facts["items"]] == [item["title"] for item in request.items]

    english = _in(citizen_client, "en").get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Citizen ID card" in english and "Other points" in english
    assert "Thẻ căn cước" not in english
    page = citizen_client.get(f"/applications/{application_id}/supplement").get_data(as_text=True)
    assert "Citizen ID card" in page and "Thẻ căn cước" not in page
    staff_page = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "Citizen ID card: Ảnh mờ" in staff_page

    vietnamese = _in(citizen_client, "vi").get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Thẻ căn cước hoặc căn cước công dân" in vietnamese and "Nội dung khác" in vietnamese


def test_the_warehouse_names_the_issuing_agency_and_the_papers_kind_in_english(app, staff, filed, approve):
    _citizen, application_id, citizen_client = filed
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    specialist = as_staff(app, staff["specialist"])
    act(clerk, application_id, "accept")
    act(leader, application_id, "assign", {"specialist": staff["specialist"].id})
    act(specialist, application_id, "propose", {"decision": "approve", "note": ""})
    assert approve(leader, application_id).state == "returned"
    english = _in(citizen_client, "en").get("/warehouse").get_data(as_text=True)
    assert "Issued by Minh Son Provincial Police" in english and "Citizen ID card" in english
    assert "Công an tỉnh" not in english and "Thẻ căn cước" not in english
    vietnamese = _in(citizen_client, "vi").get("/warehouse").get_data(as_text=True)
    assert "Công an tỉnh Minh Sơn" in vietnamese and "Thẻ căn cước hoặc căn cước công dân" in vietnamese


def test_amounts_read_in_english_to_an_english_reader(app, staff, demo, create_citizen):
    _citizen, application_id, _client = file_lltp(app, create_citizen)
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    specialist = as_staff(app, staff["specialist"])
    act(clerk, application_id, "accept")
    act(leader, application_id, "assign", {"specialist": staff["specialist"].id})
    act(specialist, application_id, "propose", {"decision": "approve", "note": ""})
    url = f"/office/applications/{application_id}/result/sign"
    english = _in(leader, "en")
    response = english.post(url, data=sign_form(english.get(url).get_data(as_text=True)) | {"otp": "123456"})
    assert response.status_code == 422
    assert "The fee of 200,000 VND is not paid yet" in response.get_data(as_text=True)
