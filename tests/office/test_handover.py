"""A result the citizen asked for at the counter or by post: signed by the leader, then handed over by the clerk.

The signed PDF is in the citizen's warehouse from the signing on; the file stays approved, in the reception
clerks' queue, until the clerk prints that same signed PDF and records the handover (or the posting, with the
post office's tracking number). Nobody uploads an unsigned result, and the old approve form approves nothing.
"""

import re

from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.results.models import SignedDocument, SignedKind
from tests.conftest import outbox
from tests.office.conftest import act, as_staff, file_lltp


def _app(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


def _proposed(app, staff, create_citizen, delivery: str):
    """Filed with this way of delivery, accepted, taken and proposed for issue: waiting for the leader."""
    _citizen, application_id, citizen_client = file_lltp(app, create_citizen, delivery=delivery, fee_category="exempt")
    clerk, specialist, leader = (as_staff(app, staff[role]) for role in ("clerk", "specialist", "leader"))
    assert act(clerk, application_id, "accept").status_code == 302
    assert act(specialist, application_id, "assign", {"specialist": staff["specialist"].id}).status_code == 302
    assert act(specialist, application_id, "propose", {"decision": "approve", "note": ""}).status_code == 302
    return application_id, clerk, leader, citizen_client


def _signed(application_id: int) -> SignedDocument:
    return db.session.scalar(
        db.select(SignedDocument).where(
            SignedDocument.application_id == application_id, SignedDocument.kind == SignedKind.RESULT
        )
    )


def _print_link(page: str) -> str:
    return re.search(r'href="([^"]+)"[^>]*>In kết quả đã ký<', page)[1].replace("&amp;", "&")


def test_a_counter_result_waits_for_the_clerk_who_prints_the_signed_pdf_and_hands_it_over(
    app, demo, staff, create_citizen, approve
):
    application_id, clerk, leader, citizen_client = _proposed(app, staff, create_citizen, "counter")
    application = approve(leader, application_id)
    assert application.state == "approved"  # signed, in the warehouse, not yet handed over
    signed = _signed(application_id)
    code = application.code
    sign_page = leader.get(f"/office/applications/{application_id}/result/sign").get_data(as_text=True)
    assert "trao tại bộ phận một cửa" in sign_page
    waiting = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Kết quả đã sẵn sàng" in waiting
    assert "Bản giấy đã sẵn sàng tại bộ phận một cửa của Công an tỉnh Minh Sơn" in waiting
    assert any(
        m.recipient == "mai@example.com" and code in m.body for m in outbox("email") if m.event == "result_ready"
    )

    # The reception clerks' first queue lists it; the file offers the signed PDF to print and the handover.
    assert code in clerk.get("/office/applications").get_data(as_text=True)
    page = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "Đã trao tại bộ phận một cửa" in page and 'name="result"' not in page
    printed = clerk.get(_print_link(page))
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    warehouse_copy = citizen_client.get(f"/warehouse/{signed.document_id}/download").data
    assert printed.data == warehouse_copy and printed.data.startswith(b"%PDF")

    assert act(clerk, application_id, "deliver").status_code == 302
    application = _app(application_id)
    assert application.state == "returned" and application.finished_at is not None
    assert [event.action for event in application.events][-1] == "handed_over"
    assert any(m.event == "result_handed_over" and code in m.body for m in outbox("email"))
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Đã trao kết quả tại bộ phận một cửa" in timeline
    # Done: nothing more to hand over.
    assert "Đã trao tại bộ phận một cửa</button>" not in clerk.get(f"/office/applications/{application_id}").get_data(
        as_text=True
    )


def test_a_posted_result_needs_the_tracking_number_and_keeps_what_was_typed(app, demo, staff, create_citizen, approve):
    application_id, clerk, leader, citizen_client = _proposed(app, staff, create_citizen, "post")
    assert approve(leader, application_id).state == "approved"
    waiting = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Bản giấy sẽ được gửi cho bạn qua bưu chính" in waiting
    page = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "Mã vận đơn" in page and "Đã gửi qua bưu chính" in page

    response = act(clerk, application_id, "deliver", {"tracking_number": "  "})
    assert response.status_code == 422 and "Nhập mã vận đơn" in response.get_data(as_text=True)
    clerk.get("/lang/en?next=/")  # the same, read in English
    english = act(clerk, application_id, "deliver", {"tracking_number": ""}).get_data(as_text=True)
    assert "Enter the tracking number the post office gave you." in english
    assert "Print the signed result" in english and ">Posted</button>" in english
    clerk.get("/lang/vi?next=/")
    response = act(clerk, application_id, "deliver", {"tracking_number": "EB 1234/56"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "chỉ gồm chữ cái" in body
    assert 'value="EB 1234/56"' in body  # what the clerk typed is still there to correct
    assert _app(application_id).state == "approved"

    assert act(clerk, application_id, "deliver", {"tracking_number": "eb123456789vn"}).status_code == 302
    application = _app(application_id)
    assert application.state == "returned"
    assert (application.events[-1].action, application.events[-1].reason) == ("posted", "EB123456789VN")
    assert any(m.event == "result_posted" and "EB123456789VN" in m.body for m in outbox("email"))
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Đã gửi kết quả qua bưu chính" in timeline and "Mã vận đơn: EB123456789VN" in timeline


def test_a_clerk_cannot_hand_over_before_the_leader_signed(app, demo, staff, create_citizen):
    application_id, clerk, _leader, citizen_client = _proposed(app, staff, create_citizen, "counter")
    page = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "In kết quả đã ký" not in page and "Đã trao tại bộ phận một cửa" not in page
    assert "Kết quả đã sẵn sàng" not in citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    response = act(clerk, application_id, "deliver")
    assert response.status_code == 403
    assert _app(application_id).state == "awaiting_approval"


def test_the_old_approve_form_approves_nothing(app, demo, staff, create_citizen):
    application_id, _clerk, leader, _citizen = _proposed(app, staff, create_citizen, "online")
    page = leader.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert f"/office/applications/{application_id}/approve" not in page
    assert f"/office/applications/{application_id}/result/sign" in page
    response = act(leader, application_id, "approve")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/office/applications/{application_id}/result/sign")
    application = _app(application_id)
    assert application.state == "awaiting_approval"
    assert "approve" not in [event.action for event in application.events]
    assert _signed(application_id) is None


def test_a_fee_due_when_the_result_is_ready_is_paid_before_the_handover(
    app, demo, staff, create_citizen, approve, monkeypatch
):
    from tests.conftest import login
    from tests.filing import fill_all_steps, pdf_bytes, send, upload
    from tests.paying import SECRET, TMN_CODE, gateway_result, signed, start_paying

    monkeypatch.setitem(app.config, "VNPAY_TMN_CODE", TMN_CODE)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)
    citizen = create_citizen(full_name="Nguyễn Thị Mai", email="mai@example.com")
    citizen_client = app.test_client()
    login(citizen_client, citizen.email)
    application_id = fill_all_steps(citizen_client)
    upload(citizen_client, application_id, "the-can-cuoc", pdf_bytes())
    version = _app(application_id).procedure_version  # this version of the procedure asks for the fee with the result
    fees = {**version.definition["fees"], "payment_moment": "when_result_ready"}
    version.definition = {**version.definition, "fees": fees}
    db.session.commit()
    assert send(citizen_client, application_id, delivery="counter").status_code == 302
    clerk, specialist, leader = (as_staff(app, staff[role]) for role in ("clerk", "specialist", "leader"))
    assert act(clerk, application_id, "accept").status_code == 302
    assert act(specialist, application_id, "assign", {"specialist": staff["specialist"].id}).status_code == 302
    assert act(specialist, application_id, "propose", {"decision": "approve", "note": ""}).status_code == 302

    assert approve(leader, application_id).state == "approved"  # signed; the fee falls due now
    response = act(clerk, application_id, "deliver")
    assert response.status_code == 422 and "chưa được nộp" in response.get_data(as_text=True)
    assert _app(application_id).state == "approved"

    params = start_paying(citizen_client, application_id)
    assert citizen_client.get(f"/payments/vnpay/ipn?{signed(gateway_result(params))}").get_json()["RspCode"] == "00"
    assert act(clerk, application_id, "deliver").status_code == 302
    assert _app(application_id).state == "returned"
