"""Publishing a question and its answer: on the procedure page, and found by help search."""

from onestop.extensions import db
from onestop.feedback.models import PublicAnswer
from tests.feedback.conftest import BIRTH_SLUG, post_form, send_feedback, signed_in

QUESTION = "Cha mẹ chưa đăng ký kết hôn có làm giấy khai sinh cho con được không?"
ANSWER = "Được. Khi đó phần thông tin về người cha để trống, trừ khi có thủ tục nhận cha con cùng lúc."


def _answered(app, officers, create_citizen):
    client = signed_in(app, create_citizen(full_name="Trần Thị Hoa"))
    _response, feedback = send_feedback(
        client, f"?procedure={BIRTH_SLUG}", title="Khai sinh cho con", body="Tôi là Trần Thị Hoa, chưa kết hôn..."
    )
    ward = signed_in(app, officers["ward_leader"])
    post_form(
        ward, f"/office/feedback/{feedback.id}/answer", {"answer": ANSWER}, page=f"/office/feedback/{feedback.id}"
    )
    return feedback, ward


def test_a_leader_publishes_an_anonymised_answer_on_the_procedure_page_and_in_help(
    app, demo, clock, officers, create_citizen
):
    feedback, ward = _answered(app, officers, create_citizen)
    form = ward.get(f"/office/feedback/{feedback.id}").get_data(as_text=True)
    assert "Tôi là Trần Thị Hoa" in form  # the officer starts from the sender's words, and edits them
    response = post_form(
        ward,
        f"/office/feedback/{feedback.id}/publish",
        {"question": QUESTION, "public_answer": ANSWER, "action": "publish"},
        page=f"/office/feedback/{feedback.id}",
    )
    assert response.status_code == 302
    visitor = app.test_client()
    page = visitor.get(f"/procedures/{BIRTH_SLUG}").get_data(as_text=True)
    assert QUESTION in page and ANSWER in page
    assert "Trần Thị Hoa" not in page
    # Help search finds it without diacritics, and leads to the answer on the procedure page.
    found = visitor.get("/help", query_string={"q": "chua dang ky ket hon khai sinh"}).get_data(as_text=True)
    entry = db.session.scalar(db.select(PublicAnswer))
    assert f"/procedures/{BIRTH_SLUG}#answer-{entry.id}" in found

    # Taken off again: gone from the page and from help.
    post_form(
        ward,
        f"/office/feedback/{feedback.id}/publish",
        {"question": QUESTION, "public_answer": ANSWER, "action": "withdraw"},
        page=f"/office/feedback/{feedback.id}",
    )
    assert QUESTION not in visitor.get(f"/procedures/{BIRTH_SLUG}").get_data(as_text=True)
    found = visitor.get("/help", query_string={"q": "chua dang ky ket hon khai sinh"}).get_data(as_text=True)
    assert f"#answer-{entry.id}" not in found


def test_a_clerk_cannot_publish(app, demo, clock, officers, create_citizen):
    feedback, _ward = _answered(app, officers, create_citizen)
    clerk = signed_in(app, officers["ward_clerk"])
    assert "/publish" not in clerk.get(f"/office/feedback/{feedback.id}").get_data(as_text=True)
    response = post_form(
        clerk,
        f"/office/feedback/{feedback.id}/publish",
        {"question": QUESTION, "public_answer": ANSWER, "action": "publish"},
        page=f"/office/feedback/{feedback.id}",
    )
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(PublicAnswer.id))) == 0


def test_publishing_an_empty_text_keeps_what_was_typed(app, demo, clock, officers, create_citizen):
    feedback, ward = _answered(app, officers, create_citizen)
    response = post_form(
        ward,
        f"/office/feedback/{feedback.id}/publish",
        {"question": QUESTION, "public_answer": "", "action": "publish"},
        page=f"/office/feedback/{feedback.id}",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert QUESTION in page and "error-summary" in page
    assert db.session.scalar(db.select(db.func.count(PublicAnswer.id))) == 0


def test_general_feedback_is_published_on_the_procedure_the_leader_chooses(app, demo, clock, officers, create_citizen):
    from onestop.procedures.models import Procedure
    from tests.feedback.conftest import WARD, agency_id

    client = signed_in(app, create_citizen())
    _response, feedback = send_feedback(client, agency=str(agency_id(WARD)))
    ward = signed_in(app, officers["ward_leader"])
    page = f"/office/feedback/{feedback.id}"
    post_form(ward, f"{page}/answer", {"answer": ANSWER}, page=page)
    data = {"question": QUESTION, "public_answer": ANSWER, "action": "publish"}
    response = post_form(ward, f"{page}/publish", {**data, "procedure": ""}, page=page)
    assert response.status_code == 422 and QUESTION in response.get_data(as_text=True)
    birth = db.session.scalar(db.select(Procedure).where(Procedure.slug == BIRTH_SLUG))
    assert post_form(ward, f"{page}/publish", {**data, "procedure": str(birth.id)}, page=page).status_code == 302
    assert QUESTION in app.test_client().get(f"/procedures/{BIRTH_SLUG}").get_data(as_text=True)
