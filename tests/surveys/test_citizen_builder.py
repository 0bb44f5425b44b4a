"""The survey builder opened to every signed-in person by the pack's `citizen_surveys`, and closed without it."""

import shutil

import pytest
from sqlalchemy import func, select

from onestop.extensions import db
from onestop.provinces.pack import PackInvalid, read_pack
from onestop.provinces.services import apply_pack
from onestop.surveys.models import Survey
from tests.conftest import DEMO_PACK, csrf_token, login, submit
from tests.surveys.conftest import add_question, answer_page, begin, code_of, new_survey, post_action

NOT_FROM_AGENCY = "Not from a government agency."


def _pack_with(tmp_path, value: str):
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    path = copy / "province.yaml"
    text = path.read_text(encoding="utf-8")
    assert "citizen_surveys: false\n" in text
    path.write_text(text.replace("citizen_surveys: false\n", f"citizen_surveys: {value}\n"), encoding="utf-8")
    return copy


@pytest.fixture
def citizens_may_build(app, demo, tmp_path):
    apply_pack(read_pack(_pack_with(tmp_path, "true")))
    db.session.commit()
    return demo


def _signed_in(app, user):
    client = app.test_client()
    login(client, user.email)
    client.set_cookie("lang", "en")
    client.user = user
    return client


def test_the_demo_pack_keeps_the_builder_for_staff(demo):
    assert demo.citizen_surveys is False


def test_a_value_that_is_not_true_or_false_is_refused_with_its_line(app, tmp_path):
    pack = _pack_with(tmp_path, '"yes please"')
    with pytest.raises(PackInvalid) as caught:
        read_pack(pack)
    text = (pack / "province.yaml").read_text(encoding="utf-8")
    line = text[: text.index("citizen_surveys:")].count("\n") + 1
    assert [(problem.file, problem.line) for problem in caught.value.problems] == [("province.yaml", line)]


def test_without_the_setting_a_citizen_has_no_builder_and_no_link(app, demo, create_citizen):
    citizen = _signed_in(app, create_citizen())
    account = citizen.get("/account/").get_data(as_text=True)
    assert "/office/surveys" not in account
    for path in ("/office/surveys/", "/office/surveys/new", "/office/surveys/import"):
        assert citizen.get(path).status_code == 403, path
    form = {"csrf_token": csrf_token(account), "title_vi": "Khảo sát", "who": "anyone"}
    assert citizen.post("/office/surveys/new", data=form).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Survey).where(Survey.owner_id == citizen.user.id)) == 0
    assert "Surveys are built by agency staff." in citizen.get("/office/surveys/new").get_data(as_text=True)


def test_with_the_setting_a_citizen_builds_publishes_and_alone_reads_the_results(
    app, citizens_may_build, create_citizen, clerk
):
    owner = _signed_in(app, create_citizen(full_name="Lê Thị Hoa", email="hoa@example.com"))
    account = owner.get("/account/").get_data(as_text=True)
    assert 'href="/office/surveys/"' in account and "My surveys" in account
    survey_id = new_survey(owner, title="Khảo sát chợ phường")
    assert add_question(owner, survey_id, kind="yes_no", text_vi="Chợ có sạch không?").status_code == 302
    assert post_action(owner, survey_id, "publish").status_code == 302
    code = code_of(survey_id)

    # The public page says plainly that no agency made it; a clerk's survey says nothing of the kind.
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    start = visitor.get(f"/s/{code}").get_data(as_text=True)
    assert NOT_FROM_AGENCY in start
    staff_survey = new_survey(clerk)
    add_question(clerk, staff_survey, kind="yes_no", text_vi="Đúng hẹn?")
    post_action(clerk, staff_survey, "publish")
    assert NOT_FROM_AGENCY not in visitor.get(f"/s/{code_of(staff_survey)}").get_data(as_text=True)

    # Answered like any survey, marked on the answering page too.
    assert begin(visitor, code).status_code == 302
    assert NOT_FROM_AGENCY in visitor.get(f"/s/{code}/1").get_data(as_text=True)
    assert answer_page(visitor, code, 1, {"q-q1": "yes"}).status_code == 302
    assert "1 responses" in owner.get(f"/office/surveys/{survey_id}/results").get_data(as_text=True)

    # Nobody else reads or edits it: another citizen, nor a clerk.
    stranger = _signed_in(app, create_citizen(email="other@example.com"))
    for client in (stranger, clerk):
        assert client.get(f"/office/surveys/{survey_id}/results").status_code == 404
        assert client.get(f"/office/surveys/{survey_id}").status_code == 404
    # Until the owner shares it with that person.
    assert "People you add can read the results" in owner.get(f"/office/surveys/{survey_id}/sharing").get_data(
        as_text=True
    )
    shared = submit(owner, f"/office/surveys/{survey_id}/sharing", {"email": "other@example.com"})
    assert shared.status_code == 302, shared.get_data(as_text=True)
    assert "1 responses" in stranger.get(f"/office/surveys/{survey_id}/results").get_data(as_text=True)
    assert stranger.get(f"/office/surveys/{survey_id}").status_code == 404  # reading, not editing


def test_a_citizen_may_own_only_so_many_surveys(app, citizens_may_build, create_citizen, monkeypatch):
    monkeypatch.setattr("onestop.surveys.builder.CITIZEN_SURVEY_LIMIT", 1)
    owner = _signed_in(app, create_citizen())
    new_survey(owner)
    refused = submit(owner, "/office/surveys/new", {"title_vi": "Thêm một khảo sát", "who": "anyone"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "You already have 1 surveys, the most one person may have." in page
    assert 'value="Thêm một khảo sát"' in page  # what was typed is kept


def test_when_the_province_closes_the_builder_its_citizens_lose_it(app, citizens_may_build, create_citizen):
    owner = _signed_in(app, create_citizen())
    survey_id = new_survey(owner)
    citizens_may_build.citizen_surveys = False
    db.session.commit()
    assert owner.get("/office/surveys/").status_code == 403
    assert owner.get(f"/office/surveys/{survey_id}/results").status_code == 403
    assert "/office/surveys" not in owner.get("/account/").get_data(as_text=True)


def test_sharing_is_rate_limited_since_each_answer_tells_whether_an_address_has_an_account(
    app, citizens_may_build, create_citizen, monkeypatch
):
    monkeypatch.setitem(app.config, "SURVEY_SHARE_RATE_LIMIT", "2 per minute")
    owner = _signed_in(app, create_citizen())
    survey_id = new_survey(owner)
    statuses = [
        submit(owner, f"/office/surveys/{survey_id}/sharing", {"email": f"guess{n}@example.com"}).status_code
        for n in range(3)
    ]
    assert statuses == [422, 422, 429]
