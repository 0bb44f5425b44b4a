"""Bad input on the feedback forms: a message per field, everything typed kept, nothing stored."""

from onestop.extensions import db
from onestop.feedback.models import Feedback
from tests.feedback.conftest import BIRTH_SLUG, WARD, agency_id, post_form, send_feedback, signed_in


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Feedback.id)))


def test_missing_fields_keep_what_was_typed(app, demo, clock, officers, create_citizen):
    client = signed_in(app, create_citizen())
    response, feedback = send_feedback(client, title="", body="Nội dung tôi đã gõ rất dài", agency="")
    assert response.status_code == 422 and feedback is None
    page = response.get_data(as_text=True)
    assert "Nội dung tôi đã gõ rất dài" in page
    assert 'href="#title"' in page and 'aria-invalid="true"' in page
    response, _feedback = send_feedback(client, title="Tiêu đề đã gõ", agency="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tiêu đề đã gõ" in page and 'href="#agency"' in page
    assert _count() == 0


def test_oversized_text_unknown_kind_and_foreign_agency_are_refused(app, demo, clock, officers, create_citizen):
    client = signed_in(app, create_citizen())
    response, _feedback = send_feedback(client, agency=str(agency_id(WARD)), body="x" * 5001)
    assert response.status_code == 422
    response, _feedback = send_feedback(client, agency=str(agency_id(WARD)), kind="threat")
    assert response.status_code == 422
    response, _feedback = send_feedback(client, agency="99999999")
    assert response.status_code == 422
    response, _feedback = send_feedback(client, agency="١٢")
    assert response.status_code == 422
    assert _count() == 0


def test_a_file_that_is_not_a_document_is_refused_and_the_text_kept(app, demo, clock, officers, create_citizen):
    client = signed_in(app, create_citizen())
    response, _feedback = send_feedback(
        client,
        f"?procedure={BIRTH_SLUG}",
        title="Có tệp đính kèm",
        files=[("virus.exe", b"MZ\x90\x00" + b"\x00" * 100)],
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Có tệp đính kèm" in page and "virus.exe" in page
    too_many = [(f"scan{n}.pdf", b"%PDF-1.4") for n in range(4)]
    response, _feedback = send_feedback(client, f"?procedure={BIRTH_SLUG}", files=too_many)
    assert response.status_code == 422
    assert _count() == 0


def test_unknown_subjects_and_codes_are_not_found(app, demo, clock, officers, create_citizen):
    client = signed_in(app, create_citizen())
    assert client.get("/feedback/new?procedure=khong-co").status_code == 404
    assert client.get("/feedback/new?application=99999999999999").status_code == 200  # not a row id: general form
    lookup = post_form(client, "/feedback/lookup", {"code": "ABC"})
    assert lookup.status_code == 422 and "ABC" in lookup.get_data(as_text=True)


def test_the_office_forms_keep_what_was_typed(app, demo, clock, officers, create_citizen):
    _response, feedback = send_feedback(signed_in(app, create_citizen()), f"?procedure={BIRTH_SLUG}")
    ward = signed_in(app, officers["ward_clerk"])
    page = f"/office/feedback/{feedback.id}"
    response = post_form(ward, f"{page}/forward", {"to_agency": "", "note": "Ghi chú đã gõ"}, page=page)
    assert response.status_code == 422 and "Ghi chú đã gõ" in response.get_data(as_text=True)
    response = post_form(
        ward, f"{page}/forward", {"to_agency": str(agency_id(WARD)), "note": "Cùng cơ quan"}, page=page
    )
    assert response.status_code == 422 and "Cùng cơ quan" in response.get_data(as_text=True)
    response = post_form(ward, f"{page}/answer", {"answer": "   "}, page=page)
    assert response.status_code == 422
    db.session.refresh(feedback)
    assert feedback.agency_id == agency_id(WARD) and feedback.answer == ""
