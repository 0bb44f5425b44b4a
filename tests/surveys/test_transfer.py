"""A survey exported as a file and imported by another province's staff; bad files get plain messages."""

import io
import json

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.surveys.models import Survey
from tests.conftest import login, submit
from tests.surveys.conftest import code_of


def _import(client, content: bytes):
    return submit(
        client,
        "/office/surveys/import",
        {"file": (io.BytesIO(content), "survey.json")},
        content_type="multipart/form-data",
    )


def test_export_then_import_gives_the_same_questions_as_a_new_draft(app, clerk, three_sections, create_staff):
    exported = clerk.get(f"/office/surveys/{three_sections}/export")
    assert exported.headers["Content-Disposition"].endswith('.json"')
    document = json.loads(exported.data)
    assert document["format"] == "onestop-survey/1"
    assert [len(section["questions"]) for section in document["sections"]] == [1, 1, 1]

    colleague = create_staff(Role.CLERK, email="other@province.example")
    other = app.test_client()
    login(other, colleague.email)
    response = _import(other, exported.data)
    assert response.status_code == 302
    imported = db.session.scalar(db.select(Survey).where(Survey.owner_id == colleague.id))
    assert imported.code != code_of(three_sections)
    version = imported.versions[0]
    assert version.published_at is None
    assert [q.key for s in version.sections for q in s.questions] == ["q1", "q2", "q3"]
    assert version.sections[1].questions[0].show_if == {"question": "q1", "values": ["o2"]}
    assert version.title["vi"] == "Khảo sát hài lòng"


def test_a_bad_file_is_refused_with_plain_messages(clerk):
    not_json = _import(clerk, b"\x89PNG not a survey")
    assert not_json.status_code == 422 and "it is not JSON text" in not_json.get_data(as_text=True)
    too_deep = _import(clerk, b"[" * 100_000)
    assert too_deep.status_code == 422 and "it is not JSON text" in too_deep.get_data(as_text=True)
    too_large = _import(clerk, b" " * (600 * 1024))
    assert too_large.status_code == 422 and "at most 512 KB" in too_large.get_data(as_text=True)
    document = {
        "format": "onestop-survey/1",
        "title": {"en": "No Vietnamese"},
        "sections": [
            {"questions": [{"key": "q1", "kind": "teleport", "text": {"vi": "?"}}]},
            {
                "questions": [
                    {
                        "key": "q2",
                        "kind": "yes_no",
                        "text": {"vi": "Có?"},
                        "show_if": {"question": "q9", "values": ["yes"]},
                    }
                ]
            },
        ],
    }
    response = _import(clerk, json.dumps(document).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Title: the Vietnamese text (vi) is missing." in html
    assert "Section 1, question 1: unknown kind of question." in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Survey).where(Survey.for_ratings.is_(False))) == 0


def test_an_imported_loop_or_forward_rule_is_refused_naming_the_question(clerk):
    document = {
        "format": "onestop-survey/1",
        "title": {"vi": "Vòng lặp"},
        "sections": [
            {
                "questions": [
                    {
                        "key": "q1",
                        "kind": "yes_no",
                        "text": {"vi": "Một"},
                        "show_if": {"question": "q2", "values": ["yes"]},
                    }
                ]
            },
            {
                "questions": [
                    {
                        "key": "q2",
                        "kind": "yes_no",
                        "text": {"vi": "Hai"},
                        "show_if": {"question": "q1", "values": ["yes"]},
                    }
                ]
            },
        ],
    }
    response = _import(clerk, json.dumps(document).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Question Q1 (Một) depends on question Q2, which is not in an earlier section." in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Survey).where(Survey.for_ratings.is_(False))) == 0
