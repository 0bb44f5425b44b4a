"""Answering a survey at its short link /s/<code>: one section per page, no JavaScript, saved as one goes."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from onestop.errors import NotAllowed, OnestopError
from onestop.extensions import limiter
from onestop.surveys import answering, present
from onestop.surveys.answering import AlreadyAnswered
from onestop.surveys.forms import ConfirmForm
from onestop.surveys.models import SurveyAnswer
from onestop.surveys.rules import OTHER

bp = Blueprint("answers", __name__, url_prefix="/s")

DEVICE_COOKIE = "survey_device"
_DEVICE_SALT = "survey-device"


@bp.context_processor
def _presenters() -> dict:
    return {"survey_present": present}


def _start_limit() -> str:
    return current_app.config["SURVEY_START_RATE_LIMIT"]


def _page_limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT"]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_DEVICE_SALT)


def _device_key() -> str | None:
    """The device's id from its signed cookie; a forged or missing cookie gives none."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) and len(value) <= 64 else None


def _user():
    return current_user if current_user.is_authenticated else None


@bp.get("/<code>")
def start(code: str):
    survey = answering.survey_by_code(code)
    response = answering.find_response(survey, _user(), _device_key())
    return render_template(
        "surveys/answer_start.html",
        survey=survey,
        version=answering.live_version(survey),
        closed=present.closed_message(survey),
        response=response,
        is_done=bool(response and response.submitted_at),
        needs_sign_in=not survey.anonymous and _user() is None,
        form=ConfirmForm(),
    )


@bp.post("/<code>")
@limiter.limit(_start_limit)
def begin(code: str):
    survey = answering.survey_by_code(code)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("answers.start", code=survey.code))
    device_key = _device_key()
    new_device = None
    if survey.anonymous and device_key is None:
        device_key = new_device = secrets.token_urlsafe(24)
    try:
        answering.start_response(survey, _user(), device_key)
    except AlreadyAnswered:
        return redirect(url_for("answers.thanks", code=survey.code))
    result = redirect(url_for("answers.page", code=survey.code, number=1))
    if new_device:
        result.set_cookie(
            DEVICE_COOKIE,
            _serializer().dumps(new_device),
            max_age=400 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return result


def _typed(stored: list[SurveyAnswer]) -> str:
    """What a text, number or date box shows: the stored value written back as it is typed."""
    for answer in stored:
        if answer.choice is None:
            if answer.day is not None:
                return answer.day.isoformat()
            if answer.number is not None:
                return f"{answer.number:g}"
            return answer.text or ""
    return ""


def values_from_answers(answers: dict[int, list[SurveyAnswer]], questions) -> dict[str, dict]:
    values = {}
    for question in questions:
        stored = answers.get(question.id, [])
        values[question.key] = {
            "choices": {a.choice for a in stored if a.choice},
            "other": next((a.text for a in stored if a.choice == OTHER), "") or "",
            "text": _typed(stored),
            "rows": {a.row_key: a.choice for a in stored if a.row_key},
        }
    return values


def values_from_form(questions) -> dict[str, dict]:
    values = {}
    for question in questions:
        name = f"q-{question.key}"
        values[question.key] = {
            "choices": set(request.form.getlist(name)),
            "other": request.form.get(f"{name}-other", ""),
            "text": request.form.get(name, ""),
            "rows": {row["key"]: request.form.get(f"{name}-{row['key']}", "") for row in question.rows or []},
        }
    return values


@bp.route("/<code>/<int:number>", methods=["GET", "POST"])
@limiter.limit(_page_limit, methods=["POST"])
def page(code: str, number: int):
    survey = answering.survey_by_code(code)
    response = answering.find_response(survey, _user(), _device_key())
    if response is None:
        return redirect(url_for("answers.start", code=survey.code))
    if response.submitted_at is not None:
        return redirect(url_for("answers.thanks", code=survey.code))
    closed = present.closed_message(survey)
    if closed:
        return redirect(url_for("answers.start", code=survey.code))
    sections = answering.pages(response)
    if not 1 <= number <= len(sections):
        return redirect(url_for("answers.page", code=survey.code, number=len(sections)))
    section = sections[number - 1]
    questions = answering.shown_questions(response, section)
    form = ConfirmForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = {"": _("The form had expired. Please send this page again.")}
        else:
            going_back = request.form.get("action") == "back"
            try:
                errors = answering.save_section(
                    response, section, request.form, request.form.getlist, enforce_required=not going_back
                )
            except (NotAllowed, AlreadyAnswered):
                return redirect(url_for("answers.start", code=survey.code))
            if not errors:
                if going_back:
                    return redirect(url_for("answers.page", code=survey.code, number=max(1, number - 1)))
                sections = answering.pages(response)  # this page's answers may open or skip later sections
                if number < len(sections):
                    return redirect(url_for("answers.page", code=survey.code, number=number + 1))
                try:
                    answering.submit(response, request.form.get("token", ""))
                except AlreadyAnswered:
                    return redirect(url_for("answers.thanks", code=survey.code))
                except OnestopError as error:
                    errors = {"": error.message}
                else:
                    return redirect(url_for("answers.thanks", code=survey.code))
    values = (
        values_from_form(questions) if errors else values_from_answers(answering.stored_answers(response), questions)
    )
    return render_template(
        "surveys/answer_page.html",
        survey=survey,
        version=answering.live_version(survey),
        section=section,
        questions=questions,
        number=number,
        count=len(sections),
        is_last=number == len(sections),
        values=values,
        errors=errors,
        form=form,
        token=response.submit_token,
    ), (422 if errors else 200)


@bp.get("/<code>/thanks")
def thanks(code: str):
    survey = answering.survey_by_code(code)
    return render_template("surveys/answer_thanks.html", survey=survey, version=answering.live_version(survey))
