"""The "which procedure do I need?" guide: a few questions declared in the pack, ending on procedure pages."""

import re

from sqlalchemy import select

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.procedures.models import Procedure
from onestop.provinces.models import Province
from tests.conftest import login


def links(html: str) -> list[str]:
    return re.findall(r'href="(/help/guide/[^"]+|/procedures/[^"#]+)"', html.split("<main", 1)[1])


def test_from_a_life_event_to_the_procedure_pages(client, demo):
    client.set_cookie("lang", "en")
    start = client.get("/help/guide").get_data(as_text=True)
    assert "What is happening in your life?" in start
    assert "/help/guide/event/0" in links(start)
    # "We have just had a baby" asks one more question...
    response = client.get("/help/guide/event/0")
    assert response.status_code == 302 and response.headers["Location"].endswith("/help/guide/baby")
    second = client.get("/help/guide/baby").get_data(as_text=True)
    assert "at the same time" in second
    # ...and "all three with one application" leads to the interconnected procedure, with its note.
    answer = client.get("/help/guide/baby/0").get_data(as_text=True)
    assert "/procedures/lien-thong-khai-sinh-thuong-tru-bao-hiem-y-te" in links(answer)
    assert "For children under six" in answer
    assert "/help/guide" in answer  # start again


def test_a_criminal_record_certificate_in_one_answer(client, demo):
    answer = client.get("/help/guide/event/3").get_data(as_text=True)
    assert "/procedures/cap-phieu-ly-lich-tu-phap" in links(answer)
    assert "Tôi cần chứng minh mình không có án tích" in answer


def test_unknown_questions_and_answers_are_not_found(client, demo):
    assert client.get("/help/guide/nowhere").status_code == 404
    assert client.get("/help/guide/event/99").status_code == 404


def test_the_help_page_offers_the_guide_only_when_the_pack_has_one(client, demo):
    assert 'href="/help/guide"' in client.get("/help").get_data(as_text=True)
    province = db.session.get(Province, demo.id)
    province.help = {"abbreviations": []}
    db.session.commit()
    from onestop.portal.context import forget_province

    forget_province()
    assert 'href="/help/guide"' not in client.get("/help").get_data(as_text=True)
    assert client.get("/help/guide").status_code == 404


def test_an_answer_whose_procedures_are_gone_is_left_out_and_reported(client, demo, create_staff):
    lltp = db.session.scalar(select(Procedure).where(Procedure.code == "MS.LLTP.01"))
    lltp.is_active = False
    db.session.commit()
    start = client.get("/help/guide").get_data(as_text=True)
    assert "/help/guide/event/3" not in links(start)
    assert "/help/guide/event/4" in links(start)  # the others keep their numbers
    assert login(client, create_staff(role=Role.PROVINCE_ADMIN, agency_code=None).email).status_code == 302
    client.set_cookie("lang", "en")
    report = client.get("/admin/help").get_data(as_text=True)
    assert "Guide answers that lead nowhere" in report
    assert "I need to show I have no criminal record" in report and "MS.LLTP.01" in report
