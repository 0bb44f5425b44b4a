"""Building a survey: its settings, sections and questions, publishing and closing.

Only the owner edits. The builder always works on the draft version; the first edit after publishing copies
the published version into a new draft, so the responses already given keep the questions they answered.
Every structural change re-checks the show-if rules, and a broken one refuses the whole change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from onestop.accounts.models import User
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.surveys.access import may_build
from onestop.surveys.models import (
    CHOICE_KINDS,
    QuestionKind,
    Survey,
    SurveyQuestion,
    SurveySection,
    SurveyShare,
    SurveyVersion,
)
from onestop.surveys.rules import MAX_OPTIONS, ordered_questions, show_if_problems

# Short-link codes: no 0/O, 1/l/I, so a code read off paper is typed right.
_CODE_LETTERS = "23456789abcdefghjkmnpqrstuvwxyz"


class SurveyError(InvalidInput):
    """A change the survey's rules refuse; `problems` are translated messages, one per fault."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass
class Settings:
    title: dict
    intro: dict
    anonymous: bool = True
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    response_cap: int | None = None


@dataclass
class QuestionInput:
    section_position: int
    kind: QuestionKind
    text: dict
    required: bool = False
    options: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    allow_other: bool = False
    scale: dict = field(default_factory=dict)
    show_if: dict | None = None


# Surveys a citizen may own at once: the builder is open to anyone, so one account cannot fill the database.
CITIZEN_SURVEY_LIMIT = 20


def _require_builder(user: User) -> None:
    if not may_build(user):
        raise NotAllowed(_("Surveys are built by agency staff."))


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_LETTERS) for _ in range(8))
        if db.session.scalar(select(Survey.id).where(Survey.code == code)) is None:
            return code


def create_survey(actor: User, settings: Settings) -> Survey:
    """A new survey with an empty draft holding one section."""
    _require_builder(actor)
    _check_dates(settings)
    if not actor.is_staff:
        owned = db.session.scalar(select(func.count()).select_from(Survey).where(Survey.owner_id == actor.id))
        if owned >= CITIZEN_SURVEY_LIMIT:
            raise SurveyError(
                [_("You already have %(count)d surveys, the most one person may have.", count=CITIZEN_SURVEY_LIMIT)]
            )
    survey = Survey(code=new_code(), owner_id=actor.id)
    _apply_survey_settings(survey, settings)
    version = SurveyVersion(number=1, title=settings.title, intro=settings.intro)
    version.sections.append(SurveySection(position=1, title={}))
    survey.versions.append(version)
    db.session.add(survey)
    db.session.flush()
    return survey


def surveys_of(actor: User) -> tuple[list[Survey], list[Survey]]:
    """The surveys a staff member owns, and those shared with them."""
    _require_builder(actor)
    owned = db.session.scalars(select(Survey).where(Survey.owner_id == actor.id).order_by(Survey.id.desc())).all()
    shared = db.session.scalars(
        select(Survey).join(SurveyShare).where(SurveyShare.user_id == actor.id).order_by(Survey.id.desc())
    ).all()
    return list(owned), list(shared)


def survey_for_owner(actor: User, survey_id: int) -> Survey:
    _require_builder(actor)
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.owner_id != actor.id:
        raise NotFound(_("There is no such survey among yours."))
    return survey


def survey_for_reader(actor: User, survey_id: int) -> Survey:
    """The owner and the colleagues it is shared with may read a survey's results."""
    _require_builder(actor)
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("There is no such survey among yours."))
    if survey.owner_id != actor.id and db.session.get(SurveyShare, (survey.id, actor.id)) is None:
        raise NotFound(_("There is no such survey among yours."))
    return survey


def live_version(survey: Survey) -> SurveyVersion | None:
    """The newest published version: the one people answer."""
    published = [version for version in survey.versions if version.published_at is not None]
    return published[-1] if published else None


def draft_version(survey: Survey) -> SurveyVersion | None:
    drafts = [version for version in survey.versions if version.published_at is None]
    return drafts[-1] if drafts else None


def shown_version(survey: Survey) -> SurveyVersion:
    """What the builder page shows: the draft if there is one, else the live version."""
    return draft_version(survey) or live_version(survey)


def editable_version(survey: Survey) -> SurveyVersion:
    """The draft, made by copying the live version when there is none (the first edit after publishing)."""
    draft = draft_version(survey)
    if draft is not None:
        return draft
    live = live_version(survey)
    copy = SurveyVersion(number=live.number + 1, title=dict(live.title), intro=dict(live.intro))
    for section in live.sections:
        new_section = SurveySection(position=section.position, title=dict(section.title))
        for question in section.questions:
            new_section.questions.append(
                SurveyQuestion(
                    version=copy,
                    position=question.position,
                    key=question.key,
                    kind=question.kind,
                    required=question.required,
                    text=dict(question.text),
                    options=list(question.options or []),
                    rows=list(question.rows or []),
                    allow_other=question.allow_other,
                    scale=dict(question.scale or {}),
                    show_if=dict(question.show_if) if question.show_if else None,
                )
            )
        copy.sections.append(new_section)
    survey.versions.append(copy)
    db.session.flush()
    return copy


def _check_dates(settings: Settings) -> None:
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        raise SurveyError([_("The survey must close after it opens.")])


def _apply_survey_settings(survey: Survey, settings: Settings) -> None:
    survey.anonymous = settings.anonymous
    survey.opens_at = settings.opens_at
    survey.closes_at = settings.closes_at
    survey.response_cap = settings.response_cap


def update_settings(actor: User, survey_id: int, settings: Settings) -> Survey:
    """Title and introduction are part of the wording (a new version once published); dates and rules are not."""
    survey = survey_for_owner(actor, survey_id)
    _check_dates(settings)
    _apply_survey_settings(survey, settings)
    shown = shown_version(survey)
    if shown.title != settings.title or shown.intro != settings.intro:
        version = editable_version(survey)
        version.title, version.intro = settings.title, settings.intro
    db.session.flush()
    return survey


def _section(version: SurveyVersion, position: int) -> SurveySection:
    for section in version.sections:
        if section.position == position:
            return section
    raise NotFound(_("There is no such section."))


def _question(version: SurveyVersion, key: str) -> SurveyQuestion:
    for _index, question in ordered_questions(version):
        if question.key == key:
            return question
    raise NotFound(_("There is no such question."))


def _renumber(items: list) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def _check(version: SurveyVersion) -> None:
    db.session.flush()
    db.session.refresh(version)
    for section in version.sections:
        db.session.refresh(section)
    problems = show_if_problems(version)
    if problems:
        raise SurveyError(problems)


def add_section(actor: User, survey_id: int, title: dict) -> SurveySection:
    version = editable_version(survey_for_owner(actor, survey_id))
    section = SurveySection(position=len(version.sections) + 1, title=title)
    version.sections.append(section)
    db.session.flush()
    return section


def rename_section(actor: User, survey_id: int, position: int, title: dict) -> None:
    version = editable_version(survey_for_owner(actor, survey_id))
    _section(version, position).title = title
    db.session.flush()


def move_section(actor: User, survey_id: int, position: int, step: int) -> None:
    """Move a section up (-1) or down (+1); refused when a show-if rule would then look forward."""
    version = editable_version(survey_for_owner(actor, survey_id))
    sections = list(version.sections)
    index = sections.index(_section(version, position))
    other = index + step
    if 0 <= other < len(sections):
        sections[index], sections[other] = sections[other], sections[index]
        _renumber(sections)
    _check(version)


def delete_section(actor: User, survey_id: int, position: int) -> None:
    version = editable_version(survey_for_owner(actor, survey_id))
    if len(version.sections) == 1:
        raise SurveyError([_("A survey keeps at least one section.")])
    section = _section(version, position)
    version.sections.remove(section)
    _renumber(version.sections)
    _check(version)


def _next_key(version: SurveyVersion) -> str:
    numbers = [int(question.key[1:]) for _i, question in ordered_questions(version) if question.key[1:].isdigit()]
    return f"q{max(numbers, default=0) + 1}"


def _check_question(data: QuestionInput) -> None:
    problems = []
    if data.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(data.options) < 2 and not data.allow_other:
        problems.append(_("List at least two answers to choose from."))
    if data.kind == QuestionKind.GRID and not data.rows:
        problems.append(_("List at least one row to rate."))
    if len(data.options) > MAX_OPTIONS or len(data.rows) > MAX_OPTIONS:
        problems.append(_("Offer at most %(max)d answers or rows.", max=MAX_OPTIONS))
    if problems:
        raise SurveyError(problems)


def save_question(actor: User, survey_id: int, key: str | None, data: QuestionInput) -> SurveyQuestion:
    """Add a question (key None) at the end of its section, or change one; the show-if rules must still hold."""
    _check_question(data)
    version = editable_version(survey_for_owner(actor, survey_id))
    section = _section(version, data.section_position)
    if key is None:
        question = SurveyQuestion(version=version, key=_next_key(version), position=len(section.questions) + 1)
        section.questions.append(question)
    else:
        question = _question(version, key)
        if question.section is not section:
            old = question.section
            old.questions.remove(question)
            _renumber(old.questions)
            question.position = len(section.questions) + 1
            section.questions.append(question)
    question.kind = data.kind
    question.text = data.text
    question.required = data.required
    is_listed = data.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
    question.options = data.options if is_listed else []
    question.allow_other = data.allow_other if is_listed else False
    question.rows = data.rows if data.kind == QuestionKind.GRID else []
    question.scale = data.scale if data.kind in (QuestionKind.RATING, QuestionKind.GRID) else {}
    question.show_if = data.show_if
    _check(version)
    return question


def move_question(actor: User, survey_id: int, key: str, step: int) -> None:
    version = editable_version(survey_for_owner(actor, survey_id))
    question = _question(version, key)
    questions = list(question.section.questions)
    index = questions.index(question)
    other = index + step
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
        _renumber(questions)
    _check(version)


def delete_question(actor: User, survey_id: int, key: str) -> None:
    """Refused while another question's show-if names it (the check names that question)."""
    version = editable_version(survey_for_owner(actor, survey_id))
    question = _question(version, key)
    section = question.section
    section.questions.remove(question)
    _renumber(section.questions)
    _check(version)


def publish(actor: User, survey_id: int) -> SurveyVersion:
    """Publish the draft: from now on people answer it; earlier responses keep their version."""
    survey = survey_for_owner(actor, survey_id)
    draft = draft_version(survey)
    if draft is None:
        raise SurveyError([_("There are no changes to publish.")])
    if not ordered_questions(draft):
        raise SurveyError([_("Add at least one question before publishing.")])
    if any(not section.questions for section in draft.sections):
        raise SurveyError([_("Every section needs at least one question, or delete the empty one.")])
    if not draft.title.get("vi"):
        raise SurveyError([_("Give the survey a Vietnamese title before publishing.")])
    _check(draft)
    draft.published_at = utcnow()
    survey.closed_at = None
    db.session.flush()
    return draft


def close(actor: User, survey_id: int) -> None:
    survey = survey_for_owner(actor, survey_id)
    survey.closed_at = survey.closed_at or utcnow()
    db.session.flush()


def choice_questions_before(version: SurveyVersion, section_position: int) -> list[SurveyQuestion]:
    """The questions a show-if rule in this section may name: choice questions of earlier sections."""
    return [
        question
        for _index, question in ordered_questions(version)
        if question.section.position < section_position and question.kind in CHOICE_KINDS
    ]


def share(actor: User, survey_id: int, email: str) -> User:
    """Let a colleague (a staff account) read the results; a citizen's survey, any person who may build surveys."""
    survey = survey_for_owner(actor, survey_id)
    colleague = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if actor.is_staff and (colleague is None or not colleague.is_staff or not colleague.is_active):
        raise SurveyError([_("No staff account has this e-mail address.")])
    if not actor.is_staff and (colleague is None or not may_build(colleague)):
        raise SurveyError([_("No account that may read surveys has this e-mail address.")])
    if colleague.id == actor.id:
        raise SurveyError([_("You own this survey already.")])
    if db.session.get(SurveyShare, (survey.id, colleague.id)) is None:
        db.session.add(SurveyShare(survey_id=survey.id, user_id=colleague.id))
    db.session.flush()
    return colleague


def unshare(actor: User, survey_id: int, user_id: int) -> None:
    survey = survey_for_owner(actor, survey_id)
    row = db.session.get(SurveyShare, (survey.id, user_id))
    if row is not None:
        db.session.delete(row)
    db.session.flush()


def shares_of(survey: Survey) -> list[SurveyShare]:
    return list(db.session.scalars(select(SurveyShare).where(SurveyShare.survey_id == survey.id)))
