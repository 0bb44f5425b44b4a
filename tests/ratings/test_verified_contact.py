"""The verified phone-or-e-mail question: the answer counts only after the one-time code sent to it is typed."""

import re
from datetime import timedelta

import pytest

from onestop.extensions import db
from onestop.models import utcnow
from onestop.surveys.models import SurveyAnswer, SurveyContactCode, SurveyResponse
from tests.conftest import outbox
from tests.surveys.conftest import add_question, answer_page, begin, clerk, code_of, new_survey, post_action  # noqa: F401


@pytest.fixture
def contact_survey(clerk):  # noqa: F811
    survey_id = new_survey(clerk)
    response = add_question(
        clerk, survey_id, kind="verified_contact", text_vi="Số điện thoại hoặc e-mail", required="y"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert post_action(clerk, survey_id, "publish").status_code == 302
    return code_of(survey_id)


def _code_sent_to(recipient: str) -> str:
    messages = [m for m in outbox() if m.recipient == recipient and m.event == "survey_contact_code"]
    assert messages, f"no code sent to {recipient}"
    return re.search(r"\b(\d{6})\b", messages[-1].body)[1]


def _submitted() -> int:
    db.session.expire_all()
    return db.session.scalar(
        db.select(db.func.count()).select_from(SurveyResponse).where(SurveyResponse.submitted_at.is_not(None))
    )


def test_an_email_counts_once_its_code_is_typed(app, contact_survey):
    person = app.test_client()
    person.set_cookie("lang", "en")
    begin(person, contact_survey)

    sent = answer_page(person, contact_survey, 1, {"q-q1": "Lan.Nguyen@Example.com"})
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422 and "We sent a code to lan.nguyen@example.com" in html
    assert 'value="Lan.Nguyen@Example.com"' in html  # what was typed is kept
    code = _code_sent_to("lan.nguyen@example.com")
    assert _submitted() == 0 and not db.session.scalar(db.select(SurveyAnswer.id))

    wrong = answer_page(
        person,
        contact_survey,
        1,
        {"q-q1": "lan.nguyen@example.com", "q-q1-code": "000000" if code != "000000" else "111111"},
    )
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    assert _submitted() == 0

    right = answer_page(person, contact_survey, 1, {"q-q1": "lan.nguyen@example.com", "q-q1-code": code})
    assert right.status_code == 302 and right.location.endswith("/thanks")
    assert _submitted() == 1
    assert db.session.scalar(db.select(SurveyAnswer.text)) == "lan.nguyen@example.com"
    # Single use: the stored code can no longer match anything.
    assert db.session.scalar(db.select(SurveyContactCode.code_hash)) == ""


def test_a_phone_number_gets_an_sms_and_bad_contacts_are_refused(app, contact_survey):
    person = app.test_client()
    person.set_cookie("lang", "en")
    begin(person, contact_survey)
    bad = answer_page(person, contact_survey, 1, {"q-q1": "not a contact"})
    assert bad.status_code == 422 and "Enter a mobile phone number" in bad.get_data(as_text=True)
    assert not outbox("sms") and not outbox("email")
    answer_page(person, contact_survey, 1, {"q-q1": "+84 912 345 678"})
    [sms] = [m for m in outbox("sms") if m.event == "survey_contact_code"]
    assert sms.recipient == "0912345678"


def test_an_expired_code_is_refused_and_sends_are_rate_limited(app, contact_survey):
    person = app.test_client()
    person.set_cookie("lang", "en")
    begin(person, contact_survey)
    answer_page(person, contact_survey, 1, {"q-q1": "ha@example.com"})
    code = _code_sent_to("ha@example.com")
    db.session.execute(db.update(SurveyContactCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    expired = answer_page(person, contact_survey, 1, {"q-q1": "ha@example.com", "q-q1-code": code})
    assert expired.status_code == 422 and "This code has expired" in expired.get_data(as_text=True)
    assert _submitted() == 0

    # Asking again within a minute sends nothing new; three codes an hour per question at most.
    answer_page(person, contact_survey, 1, {"q-q1": "ha@example.com"})
    answer_page(person, contact_survey, 1, {"q-q1": "ha@example.com"})
    assert len([m for m in outbox("email") if m.event == "survey_contact_code"]) == 2
    db.session.execute(db.update(SurveyContactCode).values(sent_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    answer_page(person, contact_survey, 1, {"q-q1": "ha@example.com"})
    db.session.execute(db.update(SurveyContactCode).values(sent_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    limited = answer_page(person, contact_survey, 1, {"q-q1": "ha@example.com"})
    assert "Too many codes were sent" in limited.get_data(as_text=True)
    assert len([m for m in outbox("email") if m.event == "survey_contact_code"]) == 3
