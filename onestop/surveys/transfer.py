"""A survey as a JSON file, so a province can share one with another; importing checks it first.

The file holds the wording and rules (sections, questions, show-if), never responses or people. Import
reports every problem in plain words with where it is ("section 2, question 3: ...").
"""

from __future__ import annotations

import json

from flask_babel import gettext as _

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.surveys import builder
from onestop.surveys.builder import Settings, SurveyError
from onestop.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveySection, SurveyVersion
from onestop.surveys.rules import MAX_OPTIONS, show_if_problems

FORMAT = "onestop-survey/1"
MAX_FILE_BYTES = 512 * 1024
MAX_QUESTIONS = 200


def export_survey(version: SurveyVersion) -> str:
    survey = version.survey
    document = {
        "format": FORMAT,
        "title": version.title,
        "intro": version.intro,
        "anonymous": survey.anonymous,
        "sections": [
            {
                "title": section.title,
                "questions": [
                    {
                        "key": q.key,
                        "kind": str(q.kind),
                        "required": q.required,
                        "text": q.text,
                        "options": q.options or [],
                        "rows": q.rows or [],
                        "allow_other": q.allow_other,
                        "scale": q.scale or {},
                        "show_if": q.show_if,
                    }
                    for q in section.questions
                ],
            }
            for section in version.sections
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _texts(value, where: str, problems: list[str], required: bool = True) -> dict:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append(_("%(where)s: the text must give Vietnamese (vi) and English (en) wording.", where=where))
        return {}
    texts = {lang: value.get(lang, "").strip()[:500] for lang in ("vi", "en") if value.get(lang, "").strip()}
    if required and not texts.get("vi"):
        problems.append(_("%(where)s: the Vietnamese text (vi) is missing.", where=where))
    return texts


def _listed(value, where: str, problems: list[str]) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_OPTIONS:
        problems.append(_("%(where)s: give at most %(max)d answers as a list.", where=where, max=MAX_OPTIONS))
        return []
    listed = []
    for index, item in enumerate(value, start=1):
        texts = _texts(item, f"{where}, {_('answer %(n)d', n=index)}", problems)
        listed.append({"key": f"o{index}", **texts})
    return listed


def read_file(raw: bytes) -> tuple[dict, list[dict]]:
    """The survey a file describes (settings, sections with questions), or SurveyError with every problem."""
    if len(raw) > MAX_FILE_BYTES:
        raise SurveyError([_("The file is too large for a survey (at most 512 KB).")])
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        raise SurveyError([_("The file is not a survey exported from onestop (it is not JSON text).")]) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SurveyError([_("The file is not a survey exported from onestop (format %(format)s).", format=FORMAT)])
    problems: list[str] = []
    head = {
        "title": _texts(document.get("title"), _("Title"), problems),
        "intro": _texts(document.get("intro") or {}, _("Introduction"), problems, required=False),
        "anonymous": bool(document.get("anonymous", True)),
    }
    sections = document.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append(_("The survey has no sections."))
        sections = []
    read_sections, total = [], 0
    for s_index, section in enumerate(sections, start=1):
        where_section = _("Section %(n)d", n=s_index)
        if not isinstance(section, dict):
            problems.append(_("%(where)s is not readable.", where=where_section))
            continue
        questions = section.get("questions") if isinstance(section.get("questions"), list) else []
        read_questions = []
        for q_index, question in enumerate(questions, start=1):
            total += 1
            where = f"{where_section}, {_('question %(n)d', n=q_index)}"
            if not isinstance(question, dict):
                problems.append(_("%(where)s is not readable.", where=where))
                continue
            try:
                kind = QuestionKind(question.get("kind"))
            except ValueError:
                problems.append(_("%(where)s: unknown kind of question.", where=where))
                continue
            key = str(question.get("key") or "")
            if not (key[:1] == "q" and key[1:].isdigit() and len(key) <= 8):
                problems.append(_("%(where)s: the key must look like q1, q2...", where=where))
            show_if = question.get("show_if")
            if show_if is not None and not (
                isinstance(show_if, dict)
                and isinstance(show_if.get("question"), str)
                and isinstance(show_if.get("values"), list)
                and all(isinstance(v, str) for v in show_if["values"])
            ):
                problems.append(_("%(where)s: the show-if rule is not readable.", where=where))
                show_if = None
            scale = question.get("scale") if isinstance(question.get("scale"), dict) else {}
            read_questions.append(
                {
                    "key": key,
                    "kind": kind,
                    "required": bool(question.get("required")),
                    "text": _texts(question.get("text"), where, problems),
                    "options": _listed(question.get("options") or [], where, problems),
                    "rows": _listed(question.get("rows") or [], where, problems),
                    "allow_other": bool(question.get("allow_other")),
                    "scale": {
                        end: _texts(scale[end], where, problems, required=False)
                        for end in ("low", "high")
                        if end in scale
                    },
                    "show_if": show_if,
                }
            )
        read_sections.append(
            {"title": _texts(section.get("title") or {}, where_section, problems, False), "questions": read_questions}
        )
    if total > MAX_QUESTIONS:
        problems.append(_("A survey holds at most %(max)d questions.", max=MAX_QUESTIONS))
    if problems:
        raise SurveyError(problems)
    return head, read_sections


def import_survey(actor: User, raw: bytes) -> Survey:
    """A new draft survey owned by `actor` from an exported file; nothing is saved when anything is wrong."""
    head, sections = read_file(raw)
    survey = builder.create_survey(
        actor, Settings(title=head["title"], intro=head["intro"], anonymous=head["anonymous"])
    )
    version = survey.versions[0]
    version.sections.clear()
    keys = set()
    for s_position, section in enumerate(sections, start=1):
        new_section = SurveySection(position=s_position, title=section["title"])
        for q_position, question in enumerate(section["questions"], start=1):
            if question["key"] in keys:
                raise SurveyError([_("Two questions have the key %(key)s.", key=question["key"])])
            keys.add(question["key"])
            new_section.questions.append(SurveyQuestion(version=version, position=q_position, **question))
        version.sections.append(new_section)
    db.session.flush()
    problems = show_if_problems(version)
    if problems:
        raise SurveyError(problems)
    return survey
