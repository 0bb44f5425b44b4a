"""Every back-office transition through HTTP: what the officer, the citizen and the records see."""

import io
import re

from onestop.extensions import db
from onestop.procedures.models import Application, ApplicationEvent, IssuedSlip
from tests.approving import sign_form
from tests.conftest import outbox
from tests.filing import pdf_bytes
from tests.office.conftest import act, as_staff


def _app(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


def test_a_file_goes_from_reception_to_result(app, staff, filed, approve):
    _citizen, application_id, citizen_client = filed
    clerk = as_staff(app, staff["clerk"])
    queue = clerk.get("/office/applications").get_data(as_text=True)
    code = _app(application_id).code
    assert code in queue and "Nguyễn Thị Mai" in queue

    response = act(clerk, application_id, "accept")
    assert response.status_code == 302
    application = _app(application_id)
    assert application.state == "received" and application.due_on is not None and application.accepted_at
    assert [slip.kind for slip in application.slips] == ["receipt"]
    mail = [m for m in outbox("email") if m.recipient == "mai@example.com"]
    assert any(f"{application.due_on:%d/%m/%Y}" in m.body for m in mail)

    leader = as_staff(app, staff["leader"])
    response = act(leader, application_id, "assign", {"specialist": staff["specialist"].id})
    assert response.status_code == 302
    assert _app(application_id).state == "in_progress" and _app(application_id).holder_id == staff["specialist"].id

    specialist = as_staff(app, staff["specialist"])
    assert code in specialist.get("/office/applications?tab=mine").get_data(as_text=True)
    assert (
        act(specialist, application_id, "propose", {"decision": "approve", "note": "Hồ sơ hợp lệ"}).status_code == 302
    )
    assert _app(application_id).state == "awaiting_approval"
    assert code in leader.get("/office/applications?tab=approval").get_data(as_text=True)
    # The leader approves by signing; the result comes online, so the signed PDF in the warehouse is the delivery.
    assert approve(leader, application_id).state == "returned"

    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    for words in ("Đã trả kết quả", "Cơ quan đã tiếp nhận", "Chuyên viên đã trình lãnh đạo", "Lãnh đạo đã phê duyệt"):
        assert words in timeline
    warehouse = citizen_client.get("/warehouse").get_data(as_text=True)
    assert "Phiếu lý lịch tư pháp" in warehouse
    assert "ket-qua" not in warehouse and "Kết quả giải quyết thủ tục hành chính" in warehouse


def test_each_officer_only_does_their_part(app, staff, filed):
    _citizen, application_id, _client = filed
    specialist = as_staff(app, staff["specialist"])
    response = act(specialist, application_id, "accept")
    assert response.status_code == 403
    assert "vai trò" in response.get_data(as_text=True).lower() or "role" in response.get_data(as_text=True).lower()
    assert _app(application_id).state == "submitted"

    leader = as_staff(app, staff["leader"])
    response = act(leader, application_id, "approve")  # approving is signing: the old form leads to its page
    assert response.status_code == 303 and response.headers["Location"].endswith("/result/sign")
    refused = leader.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "vai trò" in refused or "không thể" in refused.lower()
    assert _app(application_id).state == "submitted"
    assert not [e for e in _app(application_id).events if e.action in ("accept", "approve")]


def test_another_agency_cannot_see_or_act(app, staff, filed):
    _citizen, application_id, _client = filed
    ward = as_staff(app, staff["ward_clerk"])
    assert ward.get(f"/office/applications/{application_id}").status_code == 404
    assert _app(application_id).code not in ward.get("/office/applications").get_data(as_text=True)
    page = ward.get("/office/applications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = ward.post(f"/office/applications/{application_id}/accept", data={"csrf_token": token})
    assert response.status_code == 404
    assert _app(application_id).state == "submitted"


def test_citizens_cannot_reach_the_back_office_or_each_others_files(app, filed, create_citizen):
    from tests.conftest import login

    _citizen, application_id, citizen_client = filed
    assert citizen_client.get(f"/office/applications/{application_id}").status_code == 403
    other = create_citizen(full_name="Lê Văn Tám")
    client = app.test_client()
    login(client, other.email)
    assert client.get(f"/applications/{application_id}").status_code == 404
    assert client.get(f"/applications/{application_id}/supplement").status_code == 404


def test_refusal_needs_a_reason_keeps_what_was_typed_and_tells_the_citizen(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    clerk = as_staff(app, staff["clerk"])
    response = act(clerk, application_id, "refuse", {"reason": "   "})
    assert response.status_code == 422
    assert _app(application_id).state == "submitted"
    response = act(clerk, application_id, "refuse", {"reason": "Người nộp không cư trú tại tỉnh"})
    assert response.status_code == 302
    application = _app(application_id)
    assert application.state == "refused" and application.finished_at
    assert [slip.kind for slip in application.slips] == ["refusal"]
    assert any("Người nộp không cư trú tại tỉnh" in m.body for m in outbox("email"))
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Người nộp không cư trú tại tỉnh" in timeline
    assert "Rút hồ sơ" not in timeline


def test_transfer_moves_the_file_with_its_code(app, staff, filed):
    from onestop.provinces.models import Agency

    _citizen, application_id, citizen_client = filed
    code = _app(application_id).code
    clerk = as_staff(app, staff["clerk"])
    ward = db.session.scalar(db.select(Agency).where(Agency.code == "000.00.30.H99"))
    response = act(clerk, application_id, "transfer", {"agency": ward.id, "note": ""})
    assert response.status_code == 422
    response = act(clerk, application_id, "transfer", {"agency": ward.id, "note": "Thuộc thẩm quyền cấp xã"})
    assert response.status_code == 302
    application = _app(application_id)
    assert application.code == code and application.state == "submitted" and application.receiving_agency_id == ward.id
    assert clerk.get(f"/office/applications/{application_id}").status_code == 404
    ward_clerk = as_staff(app, staff["ward_clerk"])
    assert code in ward_clerk.get("/office/applications").get_data(as_text=True)
    assert any("Thuộc thẩm quyền cấp xã" in m.body for m in outbox("email"))
    assert ward.display_name() in citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)


def test_a_stale_form_is_refused_and_changes_nothing(app, staff, filed):
    _citizen, application_id, _client = filed
    clerk = as_staff(app, staff["clerk"])
    seen = _app(application_id).row_version
    response = act(clerk, application_id, "refuse", {"reason": "Thiếu giấy tờ", "version": seen - 1})
    assert response.status_code == 409
    assert "Thiếu giấy tờ" in response.get_data(as_text=True)  # what was typed is kept
    assert _app(application_id).state == "submitted"
    assert act(clerk, application_id, "accept", {"version": seen}).status_code == 302


def test_supplement_at_reception_asks_everything_at_once(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    clerk = as_staff(app, staff["clerk"])
    response = act(clerk, application_id, "request-supplement", {"document": "the-can-cuoc", "note-the-can-cuoc": ""})
    assert response.status_code == 422
    response = act(
        clerk,
        application_id,
        "request-supplement",
        {"document": "the-can-cuoc", "note-the-can-cuoc": "Ảnh mờ, chụp lại hai mặt", "other": "Ghi rõ mục đích"},
    )
    assert response.status_code == 302
    application = _app(application_id)
    assert application.state == "supplement_requested" and application.due_on is None
    assert [slip.kind for slip in application.slips] == ["supplement"]
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Ảnh mờ, chụp lại hai mặt" in timeline

    page = citizen_client.get(f"/applications/{application_id}/supplement").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    # The paper the clerk sent back is not offered again for reuse.
    [rejected] = [link.document_id for link in _app(application_id).documents]
    assert f'<option value="{rejected}">' not in page
    # Sending without the new photo: refused, the note typed is kept.
    response = citizen_client.post(
        f"/applications/{application_id}/supplement",
        data={"csrf_token": token, "send": "1", "note": "Mục đích: xin việc"},
    )
    assert response.status_code == 422
    assert "Mục đích: xin việc" in response.get_data(as_text=True)
    response = citizen_client.post(
        f"/applications/{application_id}/supplement",
        data={
            "csrf_token": token,
            "send": "1",
            "note": "Mục đích: xin việc",
            "file-the-can-cuoc": (io.BytesIO(pdf_bytes() + b"%new"), "cccd-moi.pdf"),
        },
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 302, body[body.find("error-summary") :][:600]
    application = _app(application_id)
    assert application.state == "submitted"
    assert [link.document.filename for link in application.documents] == ["cccd-moi.pdf"]
    assert application.supplements[0].answer_note == "Mục đích: xin việc"
    assert act(clerk, application_id, "accept").status_code == 302


def test_supplement_during_processing_stops_and_restarts_the_clock_once(app, staff, filed):
    from onestop.procedures.models import ClockEntry

    _citizen, application_id, citizen_client = filed
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    specialist = as_staff(app, staff["specialist"])
    act(clerk, application_id, "accept")
    act(leader, application_id, "assign", {"specialist": staff["specialist"].id})
    response = act(
        specialist, application_id, "request-supplement", {"document": "the-can-cuoc", "note-the-can-cuoc": "Hết hạn"}
    )
    assert response.status_code == 302
    application = _app(application_id)
    assert application.due_on is None
    assert [entry.kind for entry in application.clock] == ["start", "suspend"]
    page = citizen_client.get(f"/applications/{application_id}/supplement").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    citizen_client.post(
        f"/applications/{application_id}/supplement",
        data={"csrf_token": token, "send": "1", "file-the-can-cuoc": (io.BytesIO(pdf_bytes() + b"%2"), "moi.pdf")},
        content_type="multipart/form-data",
    )
    application = _app(application_id)
    assert application.state == "in_progress" and application.due_on is not None
    assert [entry.kind for entry in db.session.scalars(db.select(ClockEntry).order_by(ClockEntry.id))] == [
        "start",
        "suspend",
        "start",
    ]
    response = act(specialist, application_id, "request-supplement", {"other": "Thêm nữa"})
    assert response.status_code == 403
    assert "chỉ" in response.get_data(as_text=True).lower() or "once" in response.get_data(as_text=True)


def test_leader_refusal_through_a_proposal_and_send_back(app, staff, filed, approve):
    _citizen, application_id, _client = filed
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    specialist = as_staff(app, staff["specialist"])
    act(clerk, application_id, "accept")
    act(specialist, application_id, "assign", {"specialist": staff["specialist"].id})
    assert _app(application_id).holder_id == staff["specialist"].id
    assert act(specialist, application_id, "propose", {"decision": "refuse", "note": ""}).status_code == 422
    act(specialist, application_id, "propose", {"decision": "refuse", "note": "Có án tích chưa xóa"})
    assert act(leader, application_id, "send-back", {"comment": ""}).status_code == 422
    act(leader, application_id, "send-back", {"comment": "Kiểm tra lại dữ liệu"})
    assert _app(application_id).state == "in_progress"
    act(specialist, application_id, "propose", {"decision": "refuse", "note": "Có án tích chưa xóa"})
    application = approve(leader, application_id)  # the leader signs the refusal letter
    assert application.state == "refused"
    assert db.session.scalar(db.select(IssuedSlip).where(IssuedSlip.kind == "refusal")).facts["reason"] == (
        "Có án tích chưa xóa"
    )


def test_apology_sets_a_new_working_day_date(app, staff, filed):
    from datetime import timedelta

    _citizen, application_id, citizen_client = filed
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    act(clerk, application_id, "accept")
    due = _app(application_id).due_on
    assert (
        act(leader, application_id, "apologise", {"new_due_on": due.isoformat(), "reason": "Chờ xác minh"}).status_code
        == 422
    )
    new = due + timedelta(days=7)
    while new.weekday() >= 5:
        new += timedelta(days=1)
    response = act(leader, application_id, "apologise", {"new_due_on": new.isoformat(), "reason": "Chờ xác minh"})
    assert response.status_code in (302, 422)
    if response.status_code == 422:  # the date fell on a holiday; the message says so
        return
    application = _app(application_id)
    assert application.due_on == new
    assert [slip.kind for slip in application.slips] == ["receipt", "apology"]
    assert f"{new:%d/%m/%Y}" in citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)


def test_messages_between_citizen_and_officer(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    page = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = citizen_client.post(
        f"/applications/{application_id}/messages", data={"csrf_token": token, "body": "Khi nào có kết quả ạ?"}
    )
    assert response.status_code == 302
    clerk = as_staff(app, staff["clerk"])
    assert "Khi nào có kết quả ạ?" in clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    response = act(
        clerk,
        application_id,
        "messages",
        {"body": "Mời chị xem hướng dẫn đính kèm", "attachment": (io.BytesIO(pdf_bytes()), "huong-dan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert any("Mời chị xem hướng dẫn đính kèm" in m.body for m in outbox("email"))
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    link = re.search(r'href="(/warehouse/\d+/download)">huong-dan.pdf', timeline)[1]
    assert citizen_client.get(link).status_code == 200
    office = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    staff_link = re.search(r'href="([^"]+)">huong-dan.pdf', office)[1].replace("&amp;", "&")
    assert clerk.get(staff_link).status_code == 200
    assert db.session.scalar(db.select(db.func.count(ApplicationEvent.id))) >= 2


def test_a_note_typed_for_a_document_asks_for_it_even_if_its_box_was_left_unticked(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    clerk = as_staff(app, staff["clerk"])
    response = act(clerk, application_id, "request-supplement", {"note-ho-chieu": "Thiếu trang thị thực"})
    assert response.status_code == 302
    [request] = _app(application_id).supplements
    assert [(item["key"], item["note"]) for item in request.items] == [("ho-chieu", "Thiếu trang thị thực")]
    page = citizen_client.get(f"/applications/{application_id}/supplement").get_data(as_text=True)
    assert "Thiếu trang thị thực" in page


def test_a_result_waits_for_the_fee(app, staff, demo, create_citizen):
    from tests.office.conftest import file_lltp

    _citizen, application_id, _client = file_lltp(app, create_citizen)
    clerk, leader = as_staff(app, staff["clerk"]), as_staff(app, staff["leader"])
    specialist = as_staff(app, staff["specialist"])
    act(clerk, application_id, "accept")
    act(leader, application_id, "assign", {"specialist": staff["specialist"].id})
    act(specialist, application_id, "propose", {"decision": "approve", "note": ""})
    url = f"/office/applications/{application_id}/result/sign"
    response = leader.post(url, data=sign_form(leader.get(url).get_data(as_text=True)) | {"otp": "123456"})
    assert response.status_code == 422
    assert "200.000 đ" in response.get_data(as_text=True)
    assert _app(application_id).state == "awaiting_approval"


def test_a_draft_withdrawn_before_it_was_sent_never_reaches_the_agency(app, staff, demo, create_citizen):
    from tests.conftest import login
    from tests.filing import fill_all_steps

    citizen = create_citizen(email="rut@example.com")
    client = app.test_client()
    login(client, citizen.email)
    application_id = fill_all_steps(client)
    page = client.get(f"/applications/{application_id}/withdraw").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(f"/applications/{application_id}/withdraw", data={"csrf_token": token}).status_code == 302
    clerk = as_staff(app, staff["clerk"])
    assert clerk.get(f"/office/applications/{application_id}").status_code == 404


def test_a_tracking_book_for_a_year_no_record_can_hold_is_a_plain_400(app, staff):
    clerk = as_staff(app, staff["clerk"])
    assert clerk.get("/office/tracking-book.xlsx?from=0001-01-01").status_code == 400
