"""Answering a survey: one response per person or device, saved section by section, submitted once.

Show-if rules are evaluated here, from the answers already stored, so a page never asks a hidden question
and a hidden question's stale answer is dropped at submit. The final submit carries the response's one-time
token; a replay finds the response submitted and changes nothing. The per-survey cap is one conditional
UPDATE, so two last submits at once cannot both pass it.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from onestop import localtime
from onestop.accounts.models import User
from onestop.errors import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.surveys import tally
from onestop.surveys.builder import live_version
from onestop.surveys.contacts import check_contact
from onestop.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyVersion,
)
from onestop.surveys.rules import is_complete, is_shown, read_answer


class Availability(enum.StrEnum):
    OPEN = "open"
    UNPUBLISHED = "unpublished"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    FULL = "full"


class AlreadyAnswered(Conflict):
    """This person or device has submitted its response already."""


def survey_by_code(code: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.code == code.lower()))
    if survey is None or survey.for_ratings or live_version(survey) is None:
        raise NotFound(_("There is no survey at this address."))
    return survey


def availability(survey: Survey) -> Availability:
    """Whether answers are taken now, or why not."""
    moment = utcnow()
    if live_version(survey) is None:
        return Availability.UNPUBLISHED
    if survey.opens_at and moment < survey.opens_at:
        return Availability.NOT_YET_OPEN
    if survey.closed_at or (survey.closes_at and moment >= survey.closes_at):
        return Availability.CLOSED
    if survey.response_cap is not None and survey.response_count >= survey.response_cap:
        return Availability.FULL
    return Availability.OPEN


def _require_open(survey: Survey) -> None:
    if availability(survey) is not Availability.OPEN:
        raise NotAllowed(_("This survey is not taking answers."))


def _whose(survey: Survey, user: User | None, device_key: str | None) -> dict:
    if not survey.anonymous:
        if user is None or not user.is_authenticated:
            raise NotAllowed(_("Sign in to answer this survey."))
        return {"user_id": user.id}
    if not device_key:
        raise NotAllowed(_("Your browser must accept cookies to answer this survey."))
    return {"device_key": device_key}


def find_response(survey: Survey, user: User | None, device_key: str | None) -> SurveyResponse | None:
    """The response this person (signed-in survey) or device (anonymous survey) has begun, if any."""
    try:
        whose = _whose(survey, user, device_key)
    except NotAllowed:
        return None
    conditions = [getattr(SurveyResponse, column) == value for column, value in whose.items()]
    return db.session.scalar(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id, *conditions))


def start_response(survey: Survey, user: User | None, device_key: str | None) -> SurveyResponse:
    """Begin (or resume) this person's response to the live version; refused once submitted."""
    _require_open(survey)
    existing = find_response(survey, user, device_key)
    if existing is not None:
        if existing.submitted_at is not None:
            raise AlreadyAnswered(_("You have already answered this survey. Thank you."))
        return existing
    response = SurveyResponse(
        survey_id=survey.id,
        version_id=live_version(survey).id,
        submit_token=secrets.token_urlsafe(24),
        **_whose(survey, user, device_key),
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:  # the same person started in another tab at the same moment
        return find_response(survey, user, device_key)
    return response


def chosen_so_far(response: SurveyResponse) -> dict[str, set[str]]:
    """The choice keys answered per question key: what show-if rules look at."""
    rows = db.session.execute(
        select(SurveyQuestion.key, SurveyAnswer.choice)
        .join(SurveyAnswer, SurveyAnswer.question_id == SurveyQuestion.id)
        .where(SurveyAnswer.response_id == response.id, SurveyAnswer.choice.is_not(None))
    )
    chosen: dict[str, set[str]] = {}
    for key, choice in rows:
        chosen.setdefault(key, set()).add(choice)
    return chosen


def stored_answers(response: SurveyResponse) -> dict[int, list[SurveyAnswer]]:
    answers: dict[int, list[SurveyAnswer]] = {}
    for answer in db.session.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)):
        answers.setdefault(answer.question_id, []).append(answer)
    return answers


def pages(response: SurveyResponse) -> list[SurveySection]:
    """The sections this person is asked, in order: a section whose every question is hidden is skipped."""
    version = db.session.get(SurveyVersion, response.version_id)
    chosen = chosen_so_far(response)
    return [section for section in version.sections if any(is_shown(q, chosen) for q in section.questions)]


def shown_questions(response: SurveyResponse, section: SurveySection) -> list[SurveyQuestion]:
    chosen = chosen_so_far(response)
    return [question for question in section.questions if is_shown(question, chosen)]


def save_section(
    response: SurveyResponse,
    section: SurveySection,
    form: Mapping,
    getlist: Callable[[str], list[str]],
    enforce_required: bool,
) -> dict[str, str]:
    """Store this section's answers; returns a message per question key that was refused (nothing stored then)."""
    survey = db.session.get(Survey, response.survey_id)
    _require_open(survey)
    if response.submitted_at is not None:
        raise AlreadyAnswered(_("You have already answered this survey. Thank you."))
    errors: dict[str, str] = {}
    readings = {}
    for question in shown_questions(response, section):
        if question.kind == QuestionKind.VERIFIED_CONTACT:
            name = f"q-{question.key}"
            values, problem = check_contact(
                response, question, form.get(name, ""), form.get(f"{name}-code", ""), may_send=enforce_required
            )
        else:
            values, problem = read_answer(question, form, getlist)
        if problem is None and enforce_required and question.required and not is_complete(question, values):
            problem = _("Answer this question.")
        if problem:
            errors[question.key] = problem
        readings[question.id] = values
    if errors:
        return errors
    question_ids = [question.id for question in section.questions]
    db.session.execute(
        delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id, SurveyAnswer.question_id.in_(question_ids))
    )
    db.session.add_all(
        SurveyAnswer(
            response_id=response.id,
            question_id=question_id,
            row_key=value.row_key,
            choice=value.choice,
            number=value.number,
            text=value.text,
            day=value.day,
        )
        for question_id, values in readings.items()
        for value in values
    )
    db.session.flush()
    return {}


def submit(response: SurveyResponse, token: str) -> None:
    """Count the response: every asked required question answered, hidden answers dropped, the cap respected."""
    from onestop.inputs import same_secret

    if response.submitted_at is not None:
        raise AlreadyAnswered(_("You have already answered this survey. Thank you."))
    if not same_secret(token, response.submit_token):
        raise InvalidInput(_("This form is out of date. Please check your answers and send them again."))
    survey = db.session.get(Survey, response.survey_id)
    _require_open(survey)
    stored = stored_answers(response)
    chosen = chosen_so_far(response)
    hidden = []
    for section in db.session.get(SurveyVersion, response.version_id).sections:
        for question in section.questions:
            if not is_shown(question, chosen):
                hidden.append(question.id)
            elif question.required and not is_complete(question, stored.get(question.id, [])):
                raise InvalidInput(_("Some required questions are not answered yet."))
    if hidden:
        db.session.execute(
            delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id, SurveyAnswer.question_id.in_(hidden))
        )
    counted = db.session.execute(
        update(Survey)
        .where(
            Survey.id == survey.id,
            (Survey.response_cap.is_(None)) | (Survey.response_count < Survey.response_cap),
        )
        .values(response_count=Survey.response_count + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        raise NotAllowed(_("This survey has received all the answers it takes."))
    moment = utcnow()
    submitted = db.session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.id == response.id, SurveyResponse.submitted_at.is_(None))
        .values(submitted_at=moment, submit_token=secrets.token_urlsafe(24))
        .execution_options(synchronize_session=False)
    )
    if submitted.rowcount != 1:  # a replay racing this one got there first
        raise AlreadyAnswered(_("You have already answered this survey. Thank you."))
    db.session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.response_id == response.id)
        .values(submitted_at=moment)
        .execution_options(synchronize_session=False)
    )
    tally.add_response(response.id, response.version_id, localtime.today(moment=moment))
    db.session.expire(response)
    db.session.expire(survey)
