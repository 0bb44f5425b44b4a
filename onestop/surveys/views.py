"""The survey builder (staff, and any signed-in person where the province allows it): thin views over
onestop.surveys.builder, one action per POST."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop.i18n import localized
from onestop.inputs import whole_number
from onestop.links import public_link
from onestop.surveys import access, builder, present
from onestop.surveys.builder import QuestionInput, Settings, SurveyError
from onestop.surveys.forms import (
    ConfirmForm,
    QuestionForm,
    SectionForm,
    SettingsForm,
    day_text,
    lines_of,
)
from onestop.surveys.models import QuestionKind
from onestop.surveys.rules import choices

bp = Blueprint("surveys", __name__, url_prefix="/office/surveys")


@bp.context_processor
def _presenters() -> dict:
    return {"survey_present": present}


@bp.record_once
def _template_globals(state) -> None:
    # The account page links to the builder only for those it is open to.
    state.app.jinja_env.globals["may_build_surveys"] = access.may_build


def _invalid(template: str, form, problems: list[str], **context):
    form.form_errors.extend(problems)
    return render_template(template, form=form, **context), 422


@bp.get("/")
@login_required
def index():
    owned, shared = builder.surveys_of(current_user)
    return render_template("surveys/index.html", owned=owned, shared=shared)


def _settings(form: SettingsForm) -> Settings:
    return Settings(
        title=form.texts("title"),
        intro=form.texts("intro"),
        anonymous=form.who.data == "anyone",
        opens_at=form.opens_at(),
        closes_at=form.closes_at(),
        response_cap=form.response_cap.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    builder.surveys_of(current_user)  # refuses anyone but staff
    form = SettingsForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("surveys/settings.html", form=form, survey=None), status
    try:
        survey = builder.create_survey(current_user, _settings(form))
    except SurveyError as error:
        return _invalid("surveys/settings.html", form, error.problems, survey=None)
    flash(_("The survey was created. Now add its questions."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.route("/<int:survey_id>/settings", methods=["GET", "POST"])
@login_required
def settings(survey_id: int):
    survey = builder.survey_for_owner(current_user, survey_id)
    form = SettingsForm()
    if request.method == "GET":
        version = builder.shown_version(survey)
        form.title_vi.data, form.title_en.data = version.title.get("vi"), version.title.get("en")
        form.intro_vi.data, form.intro_en.data = version.intro.get("vi"), version.intro.get("en")
        form.who.data = "anyone" if survey.anonymous else "signed_in"
        form.opens_on.data = day_text(survey.opens_at)
        form.closes_on.data = day_text(survey.closes_at, days_before=1)
        form.response_cap.data = survey.response_cap
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("surveys/settings.html", form=form, survey=survey), status
    try:
        builder.update_settings(current_user, survey.id, _settings(form))
    except SurveyError as error:
        return _invalid("surveys/settings.html", form, error.problems, survey=survey)
    flash(_("The changes were saved."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


def _builder_page(survey_id: int, problems: list[str] | None = None, status: int = 200):
    survey = builder.survey_for_owner(current_user, survey_id)
    form = ConfirmForm()
    form.form_errors.extend(problems or [])
    return (
        render_template(
            "surveys/edit.html",
            survey=survey,
            version=builder.shown_version(survey),
            form=form,
            section_form=SectionForm(formdata=None),
            link=public_link("answers.start", code=survey.code),
        ),
        status,
    )


@bp.get("/<int:survey_id>")
@login_required
def edit(survey_id: int):
    return _builder_page(survey_id)


def _act(survey_id: int, action, done: str):
    """Run one builder action posted from the builder page; a refusal re-renders it with the messages."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _builder_page(survey_id, [_("The form had expired. Please try again.")], 422)
    try:
        action()
    except SurveyError as error:
        return _builder_page(survey_id, error.problems, 422)
    flash(done, "success")
    return redirect(url_for("surveys.edit", survey_id=survey_id))


def _step(direction: str) -> int:
    if direction not in ("up", "down"):
        abort(404)
    return -1 if direction == "up" else 1


@bp.post("/<int:survey_id>/sections")
@login_required
def add_section(survey_id: int):
    form = SectionForm()
    if not form.validate_on_submit():
        return _builder_page(survey_id, [error for errors in form.errors.values() for error in errors], 422)
    builder.add_section(current_user, survey_id, form.texts())
    flash(_("The section was added."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey_id))


@bp.route("/<int:survey_id>/sections/<int:position>", methods=["GET", "POST"])
@login_required
def section(survey_id: int, position: int):
    survey = builder.survey_for_owner(current_user, survey_id)
    sections = {s.position: s for s in builder.shown_version(survey).sections}
    if position not in sections:
        abort(404)
    form = SectionForm()
    if request.method == "GET":
        form.title_vi.data = sections[position].title.get("vi")
        form.title_en.data = sections[position].title.get("en")
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("surveys/section.html", form=form, survey=survey, position=position), status
    builder.rename_section(current_user, survey_id, position, form.texts())
    flash(_("The changes were saved."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey_id))


@bp.post("/<int:survey_id>/sections/<int:position>/move/<direction>")
@login_required
def move_section(survey_id: int, position: int, direction: str):
    step = _step(direction)
    return _act(
        survey_id,
        lambda: builder.move_section(current_user, survey_id, position, step),
        _("The section was moved."),
    )


@bp.post("/<int:survey_id>/sections/<int:position>/delete")
@login_required
def delete_section(survey_id: int, position: int):
    return _act(
        survey_id,
        lambda: builder.delete_section(current_user, survey_id, position),
        _("The section and its questions were deleted."),
    )


def _fill_question_choices(form: QuestionForm, survey, section_position: int) -> None:
    version = builder.shown_version(survey)
    form.section.choices = [
        (s.position, _("Section %(n)d", n=s.position) + (f": {localized(s.title)}" if s.title else ""))
        for s in version.sections
    ]
    form.show_if.choices = [
        (f"{q.key}={choice['key']}", f"{q.key.upper()} {localized(q.text)}: {localized(choice)}")
        for q in builder.choice_questions_before(version, section_position)
        for choice in choices(q)
    ]


def _question_input(form: QuestionForm) -> QuestionInput:
    return QuestionInput(
        section_position=form.section.data,
        kind=QuestionKind(form.kind.data),
        text={k: v for k, v in {"vi": form.text_vi.data.strip(), "en": (form.text_en.data or "").strip()}.items() if v},
        required=form.required.data,
        options=form.listed(form.options),
        rows=form.listed(form.rows),
        allow_other=form.allow_other.data,
        scale=form.scale(),
        show_if=form.rule(),
    )


@bp.route("/<int:survey_id>/questions/new", methods=["GET", "POST"])
@bp.route("/<int:survey_id>/questions/<key>", methods=["GET", "POST"])
@login_required
def question(survey_id: int, key: str | None = None):
    survey = builder.survey_for_owner(current_user, survey_id)
    version = builder.shown_version(survey)
    existing = next((q for s in version.sections for q in s.questions if q.key == key), None) if key else None
    if key and existing is None:
        abort(404)
    form = QuestionForm()
    try:
        section_position = whole_number(request.form.get("section") or request.args.get("section"), 1000)
    except ValueError:
        section_position = existing.section.position if existing else 1
    _fill_question_choices(form, survey, section_position)
    if request.method == "GET":
        form.section.data = section_position
        if existing is not None:
            form.kind.data = existing.kind
            form.text_vi.data, form.text_en.data = existing.text.get("vi"), existing.text.get("en")
            form.required.data = existing.required
            form.options.data, form.rows.data = lines_of(existing.options or []), lines_of(existing.rows or [])
            form.allow_other.data = existing.allow_other
            scale = existing.scale or {}
            form.low_vi.data, form.low_en.data = scale.get("low", {}).get("vi"), scale.get("low", {}).get("en")
            form.high_vi.data, form.high_en.data = scale.get("high", {}).get("vi"), scale.get("high", {}).get("en")
            rule = existing.show_if or {}
            form.show_if.data = [f"{rule.get('question')}={value}" for value in rule.get("values") or []]
    context = {"survey": survey, "question": existing}
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("surveys/question.html", form=form, **context), status
    try:
        builder.save_question(current_user, survey.id, key, _question_input(form))
    except SurveyError as error:
        return _invalid("surveys/question.html", form, error.problems, **context)
    flash(_("The question was saved."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.post("/<int:survey_id>/questions/<key>/move/<direction>")
@login_required
def move_question(survey_id: int, key: str, direction: str):
    step = _step(direction)
    return _act(
        survey_id, lambda: builder.move_question(current_user, survey_id, key, step), _("The question was moved.")
    )


@bp.post("/<int:survey_id>/questions/<key>/delete")
@login_required
def delete_question(survey_id: int, key: str):
    return _act(
        survey_id, lambda: builder.delete_question(current_user, survey_id, key), _("The question was deleted.")
    )


@bp.post("/<int:survey_id>/publish")
@login_required
def publish(survey_id: int):
    return _act(
        survey_id,
        lambda: builder.publish(current_user, survey_id),
        _("The survey is published. Share its link or QR code."),
    )


@bp.post("/<int:survey_id>/close")
@login_required
def close(survey_id: int):
    return _act(survey_id, lambda: builder.close(current_user, survey_id), _("The survey is closed."))
