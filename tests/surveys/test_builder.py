"""The builder through its pages: creating, questions, show-if refusals, publishing, versioning, access."""

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.surveys.models import Survey, SurveyVersion
from tests.conftest import login, submit
from tests.surveys.conftest import SATISFACTION, add_question, answer_page, begin, code_of, new_survey, post_action


def test_a_clerk_builds_and_publishes_a_survey(clerk, three_sections):
    page = clerk.get(f"/office/surveys/{three_sections}").get_data(as_text=True)
    assert "Q1" in page and "Q2" in page and "Q3" in page
    assert "/s/" + code_of(three_sections) in page
    survey = db.session.get(Survey, three_sections)
    assert [v.published_at is not None for v in survey.versions] == [True]


def test_bad_input_keeps_what_was_typed_with_a_message_per_field(clerk):
    survey_id = new_survey(clerk)
    response = add_question(clerk, survey_id, text_vi="", text_en="Kept in the form", options="Một\nHai")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kept in the form" in html and "Một\nHai" in html
    assert 'href="#text_vi"' in html  # the error summary links to the field


def test_a_list_needs_two_answers(clerk):
    survey_id = new_survey(clerk)
    response = add_question(clerk, survey_id, text_vi="Chọn", options="Chỉ một")
    assert response.status_code == 422
    assert "List at least two answers to choose from." in response.get_data(as_text=True)


def test_a_show_if_on_the_same_section_is_refused_naming_the_question(clerk):
    survey_id = new_survey(clerk)
    add_question(clerk, survey_id, **SATISFACTION)
    # The select offers only earlier sections' answers: a forged value is refused by the form itself.
    response = add_question(clerk, survey_id, text_vi="Vì sao?", kind="short_text", show_if="q1=o2")
    assert response.status_code == 422
    survey = db.session.get(Survey, survey_id)
    assert len(survey.versions[0].sections[0].questions) == 1


def test_moving_a_section_so_a_rule_looks_forward_is_refused_naming_the_question(clerk, three_sections):
    response = post_action(clerk, three_sections, "sections/2/move/up")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Question Q2 (Chấm điểm) depends on question Q1, which is not in an earlier section." in html
    # Nothing changed: still Q1 in section 1 of the draft that the refusal rolled back.
    survey = db.session.get(Survey, three_sections)
    assert len(survey.versions) == 1


def test_deleting_a_question_another_depends_on_is_refused(clerk, three_sections):
    response = post_action(clerk, three_sections, "questions/q1/delete")
    assert response.status_code == 422
    assert "Question Q2 (Chấm điểm) depends on a question that does not exist." in response.get_data(as_text=True)


def test_editing_a_published_survey_makes_a_new_version_and_old_answers_stay_readable(app, clerk, three_sections):
    code = code_of(three_sections)
    citizen = app.test_client()
    begin(citizen, code)
    answer_page(citizen, code, 1, {"q-q1": "o1"})
    assert answer_page(citizen, code, 2, {"q-q3": "Rất tốt"}).status_code == 302

    response = add_question(clerk, three_sections, section=3, kind="yes_no", text_vi="Giới thiệu cho người khác?")
    assert response.status_code == 302
    survey = db.session.get(Survey, three_sections)
    assert [v.number for v in survey.versions] == [1, 2]
    assert survey.versions[1].published_at is None
    # People still answer version 1 until version 2 is published.
    assert "Giới thiệu" not in app.test_client().get(f"/s/{code}").get_data(as_text=True)
    assert post_action(clerk, three_sections, "publish").status_code == 302

    old = clerk.get(f"/office/surveys/{three_sections}/results?version=1").get_data(as_text=True)
    assert "Rất tốt" in old and "1 responses" in old
    new = clerk.get(f"/office/surveys/{three_sections}/results").get_data(as_text=True)
    assert "Giới thiệu cho người khác?" in new and "Rất tốt" not in new


def test_only_staff_build_and_only_the_owner_edits(app, clerk, three_sections, create_citizen, create_staff):
    citizen = create_citizen()
    citizen_client = app.test_client()
    login(citizen_client, citizen.email)
    assert citizen_client.get("/office/surveys/").status_code == 403
    colleague = create_staff(Role.SPECIALIST, email="colleague@minhson.example")
    other = app.test_client()
    login(other, colleague.email)
    assert other.get(f"/office/surveys/{three_sections}").status_code == 404
    assert other.get(f"/office/surveys/{three_sections}/results").status_code == 404


def test_sharing_lets_a_colleague_read_but_not_edit(app, clerk, three_sections, create_staff):
    colleague = create_staff(Role.SPECIALIST, email="colleague@minhson.example")
    assert (
        submit(clerk, f"/office/surveys/{three_sections}/sharing", {"email": "colleague@minhson.example"}).status_code
        == 302
    )
    other = app.test_client()
    login(other, colleague.email)
    assert other.get(f"/office/surveys/{three_sections}/results").status_code == 200
    assert other.get(f"/office/surveys/{three_sections}/results.csv").status_code == 200
    assert other.get(f"/office/surveys/{three_sections}").status_code == 404
    assert "Khảo sát hài lòng" in other.get("/office/surveys/").get_data(as_text=True)
    unknown = submit(clerk, f"/office/surveys/{three_sections}/sharing", {"email": "nobody@example.com"})
    assert unknown.status_code == 422 and "nobody@example.com" in unknown.get_data(as_text=True)


def test_qr_codes_at_print_size(clerk, three_sections):
    png = clerk.get(f"/office/surveys/{three_sections}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    svg = clerk.get(f"/office/surveys/{three_sections}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    import io

    from PIL import Image

    width, _height = Image.open(io.BytesIO(png.data)).size
    assert width >= 250  # 10 px per module: about 2.5 cm or more at 300 dpi


def test_publishing_needs_questions(clerk):
    survey_id = new_survey(clerk)
    response = post_action(clerk, survey_id, "publish")
    assert response.status_code == 422
    assert db.session.scalar(db.select(SurveyVersion.published_at).where(SurveyVersion.survey_id == survey_id)) is None


def test_a_question_moves_to_another_section_and_sections_are_renamed(clerk):
    survey_id = new_survey(clerk)
    add_question(clerk, survey_id, text_vi="Một", kind="yes_no")
    add_question(clerk, survey_id, text_vi="Hai", kind="short_text")
    submit(
        clerk, f"/office/surveys/{survey_id}/sections", {"title_vi": "Phần sau"}, page=f"/office/surveys/{survey_id}"
    )
    page = f"/office/surveys/{survey_id}/questions/q2"
    moved = submit(clerk, page, {"section": "2", "kind": "short_text", "text_vi": "Hai", "show_if": "q1=yes"})
    assert moved.status_code == 302, moved.get_data(as_text=True)
    renamed = submit(clerk, f"/office/surveys/{survey_id}/sections/2", {"title_vi": "Ý kiến", "title_en": "Opinion"})
    assert renamed.status_code == 302
    version = db.session.get(Survey, survey_id).versions[0]
    assert [[q.key for q in s.questions] for s in version.sections] == [["q1"], ["q2"]]
    assert version.sections[1].title == {"vi": "Ý kiến", "en": "Opinion"}
    assert version.sections[1].questions[0].show_if == {"question": "q1", "values": ["yes"]}
    assert "Asked when Q1 is Yes" in clerk.get(f"/office/surveys/{survey_id}").get_data(as_text=True)
    # Moving section 2 above section 1 would make Q2 depend on a later question: refused.
    assert post_action(clerk, survey_id, "sections/2/move/up").status_code == 422
    # Deleting section 1 takes Q1 with it, and Q2's rule would name nothing: refused too.
    assert post_action(clerk, survey_id, "sections/1/delete").status_code == 422
    assert post_action(clerk, survey_id, "questions/q2/move/up").status_code == 302  # alone in its section: no-op
