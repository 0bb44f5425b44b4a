"""Answering at the short link: one section per page, show-if on the server, one response, dates, cap, replay."""

import re
from datetime import timedelta

from onestop.extensions import db
from onestop.models import utcnow
from onestop.surveys.models import Survey, SurveyAnswer, SurveyResponse
from tests.conftest import csrf_token, login, submit
from tests.surveys.conftest import add_question, answer_page, begin, code_of, new_survey, post_action


def _citizen(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def test_show_if_skips_the_section_whose_only_question_is_hidden(app, three_sections):
    code = code_of(three_sections)
    citizen = _citizen(app)
    assert begin(citizen, code).location.endswith(f"/s/{code}/1")
    first = citizen.get(f"/s/{code}/1").get_data(as_text=True)
    assert "Section 1 of 2" in first  # Q2's section is hidden until Q1 is "not satisfied"
    assert answer_page(citizen, code, 1, {"q-q1": "o1"}).location.endswith(f"/s/{code}/2")
    last = citizen.get(f"/s/{code}/2").get_data(as_text=True)
    assert "Section 2 of 2" in last and "Góp ý" in last and "Chấm điểm" not in last
    assert answer_page(citizen, code, 2, {"q-q3": "Nhanh"}).location.endswith(f"/s/{code}/thanks")
    assert db.session.get(Survey, three_sections).response_count == 1


def test_a_chosen_answer_opens_the_dependent_section_and_required_is_enforced(app, three_sections):
    code = code_of(three_sections)
    citizen = _citizen(app)
    begin(citizen, code)
    answer_page(citizen, code, 1, {"q-q1": "o2"})
    page = citizen.get(f"/s/{code}/2").get_data(as_text=True)
    assert "Section 2 of 3" in page and "Chấm điểm" in page
    missing = answer_page(citizen, code, 2, {})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'href="#q-q2"' in html and "Answer this question." in html
    assert answer_page(citizen, code, 2, {"q-q2": "2"}).location.endswith(f"/s/{code}/3")
    # Going back shows what was saved.
    assert 'value="2" checked' in citizen.get(f"/s/{code}/2").get_data(as_text=True)


def test_a_changed_earlier_answer_drops_the_hidden_answer_at_submit(app, three_sections):
    code = code_of(three_sections)
    citizen = _citizen(app)
    begin(citizen, code)
    answer_page(citizen, code, 1, {"q-q1": "o2"})
    answer_page(citizen, code, 2, {"q-q2": "1"})
    answer_page(citizen, code, 1, {"q-q1": "o1"})
    assert answer_page(citizen, code, 2, {"q-q3": ""}).location.endswith("/thanks")
    kept = db.session.scalars(db.select(SurveyAnswer.choice)).all()
    assert kept == ["o1"]


def test_one_response_per_device_and_a_replayed_submit_changes_nothing(app, three_sections):
    code = code_of(three_sections)
    citizen = _citizen(app)
    begin(citizen, code)
    answer_page(citizen, code, 1, {"q-q1": "o1"})
    page = citizen.get(f"/s/{code}/2").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "action": "next",
        "q-q3": "Lần một",
        "token": re.search(r'name="token" value="([^"]+)"', page)[1],
    }
    assert citizen.post(f"/s/{code}/2", data=form).location.endswith("/thanks")
    replay = citizen.post(f"/s/{code}/2", data={**form, "q-q3": "Lần hai"})
    assert replay.status_code == 302 and replay.location.endswith("/thanks")
    assert db.session.get(Survey, three_sections).response_count == 1
    assert db.session.scalars(db.select(SurveyAnswer.text).where(SurveyAnswer.text.is_not(None))).all() == ["Lần một"]
    assert "already answered" in citizen.get(f"/s/{code}").get_data(as_text=True)
    assert begin(citizen, code).location.endswith("/thanks")
    # Another device answers on its own.
    other = _citizen(app)
    begin(other, code)
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 2


def test_a_forged_device_cookie_counts_as_none(app, three_sections):
    code = code_of(three_sections)
    citizen = _citizen(app)
    citizen.set_cookie("survey_device", "forged")
    assert citizen.get(f"/s/{code}/1").location.endswith(f"/s/{code}")


def test_signed_in_surveys_take_one_response_per_person(app, clerk, create_citizen):
    survey_id = new_survey(clerk, who="signed_in")
    add_question(clerk, survey_id, kind="yes_no", text_vi="Có không?")
    post_action(clerk, survey_id, "publish")
    code = code_of(survey_id)
    anonymous = _citizen(app)
    assert "Sign in to answer" in anonymous.get(f"/s/{code}").get_data(as_text=True)
    assert begin(anonymous, code).status_code == 403
    person = create_citizen()
    for attempt in range(2):
        client = _citizen(app)
        login(client, person.email)
        begin(client, code)
        if attempt == 0:
            assert answer_page(client, code, 1, {"q-q1": "yes"}).location.endswith("/thanks")
        else:
            assert "already answered" in client.get(f"/s/{code}").get_data(as_text=True)
    assert db.session.scalar(db.select(SurveyResponse.user_id)) == person.id


def test_not_yet_open_and_closed_surveys_say_so(app, clerk, three_sections):
    code = code_of(three_sections)
    survey = db.session.get(Survey, three_sections)
    survey.opens_at = utcnow() + timedelta(days=2)
    db.session.commit()
    page = _citizen(app).get(f"/s/{code}")
    assert "not open yet" in page.get_data(as_text=True)
    assert begin(_citizen(app), code).status_code == 403
    survey.opens_at, survey.closes_at = None, utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "This survey is closed" in _citizen(app).get(f"/s/{code}").get_data(as_text=True)
    survey.closes_at = None
    db.session.commit()
    citizen = _citizen(app)
    begin(citizen, code)
    assert post_action(clerk, three_sections, "close").status_code == 302
    assert citizen.get(f"/s/{code}/1").location.endswith(f"/s/{code}")
    assert "This survey is closed" in citizen.get(f"/s/{code}").get_data(as_text=True)


def test_close_dates_typed_in_the_builder_are_checked(app, clerk):
    response = submit(
        clerk,
        "/office/surveys/new",
        {"title_vi": "Khảo sát", "who": "anyone", "opens_on": "2026-12-10", "closes_on": "2026-12-01"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "The survey must close after it opens." in html
    assert 'value="2026-12-10"' in html and 'value="2026-12-01"' in html
    bad = submit(clerk, "/office/surveys/new", {"title_vi": "Khảo sát", "who": "anyone", "closes_on": "2026-02-30"})
    assert bad.status_code == 422 and "Enter a real date" in bad.get_data(as_text=True)


def test_the_response_cap_closes_the_survey(app, clerk):
    survey_id = new_survey(clerk, response_cap="1")
    add_question(clerk, survey_id, kind="yes_no", text_vi="Có không?")
    post_action(clerk, survey_id, "publish")
    code = code_of(survey_id)
    first, second = _citizen(app), _citizen(app)
    begin(first, code)
    begin(second, code)
    second_page = second.get(f"/s/{code}/1").get_data(as_text=True)
    assert answer_page(first, code, 1, {"q-q1": "yes"}).location.endswith("/thanks")
    token = re.search(r'name="token" value="([^"]+)"', second_page)[1]
    late = second.post(
        f"/s/{code}/1", data={"csrf_token": csrf_token(second_page), "action": "next", "q-q1": "no", "token": token}
    )
    assert late.status_code == 302 and late.location.endswith(f"/s/{code}")
    assert "all the answers it takes" in second.get(f"/s/{code}").get_data(as_text=True)
    assert db.session.get(Survey, survey_id).response_count == 1


def test_bad_answers_get_a_message_and_keep_what_was_typed(app, clerk):
    survey_id = new_survey(clerk)
    add_question(clerk, survey_id, kind="number", text_vi="Bao nhiêu lần?")
    add_question(clerk, survey_id, kind="date", text_vi="Ngày nào?")
    add_question(clerk, survey_id, kind="short_text", text_vi="Tên cơ quan")
    add_question(clerk, survey_id, kind="multiple", text_vi="Kênh nào?", options="Web\nSMS", allow_other="y")
    post_action(clerk, survey_id, "publish")
    code = code_of(survey_id)
    citizen = _citizen(app)
    begin(citizen, code)
    response = answer_page(
        citizen,
        code,
        1,
        {"q-q1": "nhiều", "q-q2": "2026-02-30", "q-q3": "x" * 201, "q-q4": ["o1", "other"], "q-q4-other": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Enter a number",
        "Enter a real date",
        "Use at most 200 characters.",
        "Say what your other answer is.",
    ):
        assert message in html
    assert 'value="nhiều"' in html and 'value="o1" checked' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyAnswer)) == 0


def test_unknown_survey_is_a_404(app):
    assert _citizen(app).get("/s/nosuchcode").status_code == 404


def test_answer_posts_are_rate_limited(app, three_sections, monkeypatch):
    monkeypatch.setitem(app.config, "SURVEY_START_RATE_LIMIT", "2 per minute")
    code = code_of(three_sections)
    statuses = [begin(_citizen(app), code).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
