"""Fixtures for surveys: a signed-in clerk who builds through the pages, and helpers to answer as a citizen."""

import re

import pytest

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.surveys.models import Survey
from tests.conftest import csrf_token, login, submit


@pytest.fixture
def clerk(app, create_staff):
    user = create_staff(Role.CLERK, email="clerk@minhson.example")
    client = app.test_client()
    login(client, user.email)
    client.set_cookie("lang", "en")  # messages are asserted in English, the source language
    client.user = user
    return client


def new_survey(client, title="Khảo sát hài lòng", **settings) -> int:
    data = {"title_vi": title, "title_en": "Satisfaction survey", "who": "anyone", **settings}
    response = submit(client, "/office/surveys/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/office/surveys/(\d+)", response.location)[1])


def add_question(client, survey_id: int, section: int = 1, **fields):
    data = {"section": str(section), "kind": "single", "text_vi": "Câu hỏi", **fields}
    data = {key: value for key, value in data.items() if value is not None}
    return submit(client, f"/office/surveys/{survey_id}/questions/new?section={section}", data)


def post_action(client, survey_id: int, path: str):
    page = client.get(f"/office/surveys/{survey_id}")
    return client.post(
        f"/office/surveys/{survey_id}/{path}", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )


def code_of(survey_id: int) -> str:
    return db.session.get(Survey, survey_id).code


def begin(client, code: str):
    """Press "Start" (or replay it when the page no longer offers it: the token of any form of the session)."""
    page = client.get(f"/s/{code}").get_data(as_text=True)
    if "csrf_token" not in page:
        page = client.get("/account/login").get_data(as_text=True)
    return client.post(f"/s/{code}", data={"csrf_token": csrf_token(page)})


def answer_page(client, code: str, number: int, answers: dict, action: str = "next"):
    page = client.get(f"/s/{code}/{number}")
    html = page.get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "action": action, **answers}
    token = re.search(r'name="token" value="([^"]+)"', html)
    if token:
        data["token"] = token[1]
    return client.post(f"/s/{code}/{number}", data=data)


SATISFACTION = {"options": "Hài lòng | Satisfied\nKhông hài lòng | Not satisfied", "required": "y"}


@pytest.fixture
def three_sections(clerk):
    """A published survey: S1 Q1 single choice; S2 Q2 rating asked only if Q1 is "not satisfied", S3 Q3 long text."""
    survey_id = new_survey(clerk)
    assert add_question(clerk, survey_id, text_vi="Bạn có hài lòng?", **SATISFACTION).status_code == 302
    for _ in range(2):
        assert (
            submit(
                clerk,
                f"/office/surveys/{survey_id}/sections",
                {"title_vi": "Phần"},
                page=f"/office/surveys/{survey_id}",
            ).status_code
            == 302
        )
    response = add_question(
        clerk, survey_id, section=2, kind="rating", text_vi="Chấm điểm", show_if="q1=o2", required="y"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert add_question(clerk, survey_id, section=3, kind="long_text", text_vi="Góp ý").status_code == 302
    assert post_action(clerk, survey_id, "publish").status_code == 302
    return survey_id


# The Vietnamese wording the builder's own forms show back to the staff member who typed it.
BILINGUAL_VIETNAMESE = ["Khảo sát", "Xin chào", "Tốt", "Kém", "Chất lượng?", "Góp ý", "Ý kiến?", "Đánh giá", "Giờ"]


def bilingual_survey(owner):
    """A published survey with English wording for every text and one response: pages other tests open in English."""
    from onestop.surveys import answering, builder
    from onestop.surveys.builder import QuestionInput, Settings
    from onestop.surveys.models import QuestionKind

    survey = builder.create_survey(
        owner, Settings(title={"vi": "Khảo sát", "en": "Survey"}, intro={"vi": "Xin chào", "en": "Hello"})
    )
    options = [{"key": "o1", "vi": "Tốt", "en": "Good"}, {"key": "o2", "vi": "Kém", "en": "Poor"}]
    builder.save_question(
        owner,
        survey.id,
        None,
        QuestionInput(
            1, QuestionKind.SINGLE, {"vi": "Chất lượng?", "en": "Quality?"}, options=options, allow_other=True
        ),
    )
    builder.add_section(owner, survey.id, {"vi": "Góp ý", "en": "Comments"})
    builder.save_question(
        owner,
        survey.id,
        None,
        QuestionInput(
            2, QuestionKind.LONG_TEXT, {"vi": "Ý kiến?", "en": "Opinion?"}, show_if={"question": "q1", "values": ["o2"]}
        ),
    )
    builder.save_question(
        owner,
        survey.id,
        None,
        QuestionInput(
            2, QuestionKind.GRID, {"vi": "Đánh giá", "en": "Rate"}, rows=[{"key": "o1", "vi": "Giờ", "en": "Time"}]
        ),
    )
    builder.publish(owner, survey.id)
    response = answering.start_response(survey, None, "device-of-the-test")
    version = builder.live_version(survey)
    answering.save_section(response, version.sections[0], {"q-q1": "o1"}, lambda name: [], True)
    answering.submit(response, response.submit_token)
    db.session.commit()
    return survey
