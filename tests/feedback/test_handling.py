"""Handling feedback in the office: forwarding, answering, overdue flags, the sender's mark, the counts."""

from datetime import UTC, date, datetime

from onestop.extensions import db
from onestop.feedback.models import FeedbackState
from tests.conftest import outbox
from tests.feedback.conftest import BIRTH_SLUG, POLICE, WARD, agency_id, post_form, send_feedback, signed_in


def _sent(app, citizen, **fields):
    client = signed_in(app, citizen)
    _response, feedback = send_feedback(client, f"?procedure={BIRTH_SLUG}", **fields)
    return client, feedback


def test_forwarding_moves_it_to_the_other_agency_with_a_note_and_a_new_deadline(
    app, demo, clock, officers, create_citizen
):
    _client, feedback = _sent(app, create_citizen(phone="0912000222"))
    ward = signed_in(app, officers["ward_clerk"])
    clock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))  # Friday 4 December, 09:00
    response = post_form(
        ward,
        f"/office/feedback/{feedback.id}/forward",
        {"to_agency": str(agency_id(POLICE)), "note": "Việc này thuộc công an tỉnh."},
        page=f"/office/feedback/{feedback.id}",
    )
    assert response.status_code == 302
    db.session.refresh(feedback)
    assert feedback.agency_id == agency_id(POLICE)
    # Ten working days from Monday 7 December, skipping the demo pack's Province Day (Friday 18 December).
    assert feedback.due_on == date(2026, 12, 21)
    assert [(moved.from_agency_id, moved.note) for moved in feedback.forwards] == [
        (agency_id(WARD), "Việc này thuộc công an tỉnh.")
    ]
    told = [row for row in outbox() if row.event == "feedback_forwarded"]
    assert {row.channel for row in told} == {"email", "sms"}
    assert any("Việc này thuộc công an tỉnh." in row.body for row in told if row.channel == "email")
    # The ward no longer sees it; the police do, and heard of it.
    assert ward.get(f"/office/feedback/{feedback.id}").status_code == 404
    police = signed_in(app, officers["police_clerk"])
    assert police.get(f"/office/feedback/{feedback.id}").status_code == 200
    assert any(row.recipient == officers["police_clerk"].email for row in outbox() if row.event == "staff_new_feedback")


def test_answering_tells_the_sender_who_reads_it_and_marks_it(app, demo, clock, officers, create_citizen):
    citizen = create_citizen(phone="0912000333")
    client, feedback = _sent(app, citizen)
    ward = signed_in(app, officers["ward_clerk"])
    response = post_form(
        ward,
        f"/office/feedback/{feedback.id}/answer",
        {"answer": "Kết quả có sau 3 ngày làm việc."},
        page=f"/office/feedback/{feedback.id}",
    )
    assert response.status_code == 302
    told = [row for row in outbox() if row.event == "feedback_answered"]
    assert {row.channel for row in told} == {"email", "sms"}
    page = client.get(f"/feedback/{feedback.code}").get_data(as_text=True)
    assert "Kết quả có sau 3 ngày làm việc." in page
    # A second answer is refused and changes nothing.
    again = post_form(
        ward, f"/office/feedback/{feedback.id}/answer", {"answer": "Khác"}, page=f"/office/feedback/{feedback.id}"
    )
    assert again.status_code == 422
    db.session.refresh(feedback)
    assert feedback.answer == "Kết quả có sau 3 ngày làm việc."

    rated = post_form(
        client, f"/feedback/{feedback.code}/rating", {"satisfied": "no"}, page=f"/feedback/{feedback.code}"
    )
    assert rated.status_code == 302
    db.session.refresh(feedback)
    assert feedback.satisfied is False
    post_form(client, f"/feedback/{feedback.code}/rating", {"satisfied": "yes"}, page=f"/feedback/{feedback.code}")
    db.session.refresh(feedback)
    assert feedback.satisfied is True
    counts = ward.get("/office/feedback?show=answered").get_data(as_text=True)
    assert feedback.code in counts


def test_the_dashboard_counts_satisfied_and_not_satisfied(app, demo, clock, officers, create_citizen):
    from onestop.feedback.queue import counts

    for satisfied in (True, False, False):
        _client, feedback = _sent(app, create_citizen())
        feedback.state, feedback.answer, feedback.satisfied = FeedbackState.ANSWERED, "OK", satisfied
    db.session.commit()
    result = counts(agency_id(WARD), date(2026, 12, 2))
    assert (result.answered, result.satisfied, result.not_satisfied) == (3, 1, 2)


def test_a_mark_before_any_answer_is_refused(app, demo, clock, officers, create_citizen):
    client, feedback = _sent(app, create_citizen())
    response = post_form(
        client, f"/feedback/{feedback.code}/rating", {"satisfied": "yes"}, page=f"/feedback/{feedback.code}"
    )
    assert response.status_code == 422
    db.session.refresh(feedback)
    assert feedback.satisfied is None


def test_overdue_feedback_is_tagged_and_has_a_filter(app, demo, clock, officers, create_citizen):
    _client, late = _sent(app, create_citizen(), title="Chậm trả lời")
    clock(datetime(2026, 12, 15, 3, 0, tzinfo=UTC))
    _client, fresh = _sent(app, create_citizen(), title="Mới gửi")
    clock(datetime(2026, 12, 17, 3, 0, tzinfo=UTC))  # the first was due on the 16th
    ward = signed_in(app, officers["ward_clerk"])
    listing = ward.get("/office/feedback").get_data(as_text=True)
    assert late.code in listing and fresh.code in listing
    assert listing.count('class="overdue"') == 1
    overdue = ward.get("/office/feedback?show=overdue").get_data(as_text=True)
    assert late.code in overdue and fresh.code not in overdue
    assert ward.get("/office/feedback?show=nonsense").status_code == 200


def test_the_list_pages_by_due_date(app, demo, clock, officers, create_citizen, monkeypatch):
    monkeypatch.setattr("onestop.feedback.queue.PAGE_SIZE", 2)
    monkeypatch.setattr("onestop.feedback.queue.feedback_page.__defaults__", (None, 2))
    client = signed_in(app, create_citizen())
    codes = []
    for day in (2, 3, 4):
        clock(datetime(2026, 12, day, 3, 0, tzinfo=UTC))
        codes.append(send_feedback(client, f"?procedure={BIRTH_SLUG}")[1].code)
    ward = signed_in(app, officers["ward_clerk"])
    first = ward.get("/office/feedback").get_data(as_text=True)
    assert codes[0] in first and codes[1] in first and codes[2] not in first
    cursor = first.split("after=")[1].split('"')[0].replace("%7C", "|")
    second = ward.get("/office/feedback", query_string={"after": cursor}).get_data(as_text=True)
    assert codes[2] in second and codes[0] not in second
    assert ward.get("/office/feedback?after=garbage|x").status_code == 200
