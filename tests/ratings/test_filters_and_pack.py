"""Rating results filtered by procedure and agency; the rating questions as a pack file a province edits."""

import shutil

import pytest

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.provinces.models import Agency
from onestop.provinces.pack import PackInvalid, read_pack
from onestop.provinces.services import apply_pack
from onestop.ratings.models import RatingSurvey
from onestop.surveys.models import Survey, SurveyVersion
from tests.conftest import DEMO_PACK, PASSWORD, link_in, login
from tests.ratings.conftest import GOOD, deliver_result, invitation_mail, rate, ratings

WARD = "000.00.30.H99"


def _rate_latest(app, staff, create_citizen, email: str, overall: str, comment: str) -> None:
    citizen = create_citizen(full_name="Lê Văn Hòa", email=email)
    client = app.test_client()
    login(client, citizen.email)
    from tests.filing import fill_all_steps, pdf_bytes, send, upload

    application_id = fill_all_steps(client, fee_category="exempt")
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    assert send(client, application_id).status_code == 302
    deliver_result(app, staff, application_id)
    link = "/rate/" + link_in(invitation_mail(email)[0].body).split("/rate/", 1)[1]
    rate(app.test_client(), link + "/1", {**GOOD, "q-q1": overall, "q-q5": comment})


def test_results_of_the_rating_survey_filter_by_procedure_and_agency(app, staff, demo, create_citizen):
    _rate_latest(app, staff, create_citizen, "a@example.com", "5", "Rất nhanh")
    _rate_latest(app, staff, create_citizen, "b@example.com", "2", "Phải chờ lâu")
    # The second file was handled by the ward (as after a transfer): its rating belongs to the ward.
    first, second = ratings()
    ward = db.session.scalar(db.select(Agency).where(Agency.code == WARD))
    second.agency_id = ward.id
    db.session.commit()

    owner = db.session.scalar(db.select(User).where(User.email == "admin@minhson.example"))
    owner.set_password(PASSWORD)  # the pack's province admin owns the rating survey
    db.session.commit()
    admin = app.test_client()
    login(admin, owner.email)
    survey = db.session.scalar(db.select(Survey).where(Survey.for_ratings.is_(True)))
    url = f"/office/surveys/{survey.id}/results"
    whole = admin.get(url)
    assert whole.status_code == 200, whole.status_code
    html = whole.get_data(as_text=True)
    assert 'name="agency"' in html and 'name="procedure"' in html and "2 " in html
    assert "Rất nhanh" in html and "Phải chờ lâu" in html

    police = admin.get(url, query_string={"agency": first.agency_id}).get_data(as_text=True)
    assert "Rất nhanh" in police and "Phải chờ lâu" not in police
    ward_page = admin.get(url, query_string={"agency": ward.id, "procedure": second.procedure_id})
    text = ward_page.get_data(as_text=True)
    assert "Phải chờ lâu" in text and "Rất nhanh" not in text
    csv = admin.get(f"/office/surveys/{survey.id}/results.csv", query_string={"agency": ward.id}).get_data(as_text=True)
    assert "Phải chờ lâu" in csv and "Rất nhanh" not in csv

    builder_page = admin.get(f"/office/surveys/{survey.id}").get_data(as_text=True)
    assert f"/s/{survey.code}" not in builder_page and "/qr.png" not in builder_page  # no public short link

    bad = admin.get(url, query_string={"agency": "999999"})
    assert bad.status_code == 422 and "Rất nhanh" in bad.get_data(as_text=True)  # the whole survey, with a message


def test_the_default_rating_survey_comes_from_the_pack_and_a_reload_changes_nothing(app, demo, demo_pack):
    [entry] = db.session.scalars(db.select(RatingSurvey)).all()
    assert entry.procedure_code == "" and entry.measures["overall"] == "q1"
    versions = db.session.scalar(
        db.select(db.func.count()).select_from(SurveyVersion).where(SurveyVersion.survey_id == entry.survey_id)
    )
    apply_pack(demo_pack)
    db.session.commit()
    again = db.session.scalar(
        db.select(db.func.count()).select_from(SurveyVersion).where(SurveyVersion.survey_id == entry.survey_id)
    )
    assert versions == again == 1


def _copy_pack(tmp_path):
    target = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, target)
    return target


def test_an_edited_rating_file_publishes_a_new_version_and_a_procedure_may_have_its_own(app, demo, tmp_path):
    pack = _copy_pack(tmp_path)
    text = (pack / "rating.yaml").read_text(encoding="utf-8")
    (pack / "rating.yaml").write_text(text.replace("Góp ý khác của bạn", "Bạn muốn góp ý điều gì?"), encoding="utf-8")
    (pack / "ratings").mkdir(exist_ok=True)
    (pack / "ratings" / "MS.LLTP.01.yaml").write_text(
        text.replace("Đánh giá mức độ hài lòng", "Đánh giá cấp phiếu LLTP"), encoding="utf-8"
    )
    apply_pack(read_pack(pack))
    db.session.commit()
    default = db.session.scalar(db.select(RatingSurvey).where(RatingSurvey.procedure_code == ""))
    numbers = [v.number for v in default.survey.versions if v.published_at]
    assert numbers == [1, 2]
    own = db.session.scalar(db.select(RatingSurvey).where(RatingSurvey.procedure_code == "MS.LLTP.01"))
    assert own is not None and own.survey_id != default.survey_id
    from onestop.procedures.models import Application, Procedure
    from onestop.ratings.services import rating_survey_for

    lltp = db.session.scalar(db.select(Procedure).where(Procedure.code == "MS.LLTP.01"))
    other = db.session.scalar(db.select(Procedure).where(Procedure.code != "MS.LLTP.01").limit(1))
    assert rating_survey_for(Application(procedure_id=lltp.id)).id == own.id
    assert rating_survey_for(Application(procedure_id=other.id)).id == default.id


def test_a_broken_rating_file_is_refused_with_its_file_and_line(tmp_path):
    pack = _copy_pack(tmp_path)
    text = (pack / "rating.yaml").read_text(encoding="utf-8")
    (pack / "rating.yaml").write_text(text.replace("  conduct: q4", "  conduct: q5\n  speed: q1"), encoding="utf-8")
    (pack / "ratings").mkdir(exist_ok=True)
    (pack / "ratings" / "NO.SUCH.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PackInvalid) as raised:
        read_pack(pack)
    problems = [str(problem) for problem in raised.value.problems]
    assert any(p.startswith("rating.yaml:") and "conduct" in p for p in problems), problems
    assert any(p.startswith("rating.yaml:") and "speed" in p for p in problems), problems
    assert any(p.startswith("ratings/NO.SUCH.yaml:1") for p in problems), problems


def test_a_pack_without_rating_questions_rates_with_the_standard_ones(app, demo, tmp_path):
    """A province that wrote no rating.yaml still has every service rated, with onestop's standard questions."""
    pack = _copy_pack(tmp_path)
    (pack / "rating.yaml").unlink()
    for entry in db.session.scalars(db.select(RatingSurvey)):
        db.session.delete(entry)
    db.session.commit()
    apply_pack(read_pack(pack))
    db.session.commit()
    default = db.session.scalar(db.select(RatingSurvey).where(RatingSurvey.procedure_code == ""))
    assert default is not None and set(default.measures) == {"overall", "on_time", "guidance", "conduct", "comment"}
    version = next(v for v in default.survey.versions if v.published_at)
    assert version.title["vi"] == "Đánh giá mức độ hài lòng về giải quyết thủ tục hành chính"
    from onestop.procedures.models import Application, Procedure
    from onestop.ratings.services import rating_survey_for

    any_procedure = db.session.scalar(db.select(Procedure).limit(1))
    assert rating_survey_for(Application(procedure_id=any_procedure.id)).id == default.id
