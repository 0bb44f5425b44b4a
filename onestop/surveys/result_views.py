"""Results, exports, the QR code, sharing and import/export of a survey: read-mostly staff pages."""

from __future__ import annotations

import io
from datetime import date

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop import charts
from onestop.extensions import limiter
from onestop.inputs import iso_day, whole_number
from onestop.links import public_link
from onestop.surveys import builder, exports, present, results, transfer
from onestop.surveys.builder import SurveyError
from onestop.surveys.forms import ConfirmForm, ImportForm, ShareForm
from onestop.surveys.models import SurveyVersion

bp = Blueprint("survey_results", __name__, url_prefix="/office/surveys")


@bp.context_processor
def _presenters() -> dict:
    return {"survey_present": present}


def _day(name: str) -> tuple[date | None, str | None]:
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    try:
        return iso_day(text), None
    except ValueError:
        return None, _("Enter a real date, for example 2026-12-31.")


def _version(survey) -> SurveyVersion:
    """The version asked for (?version=n), else the live one, else the draft."""
    wanted = request.args.get("version", "")
    if wanted:
        try:
            number = whole_number(wanted, 10_000)
        except ValueError:
            abort(404)
        match = next((v for v in survey.versions if v.number == number and v.published_at), None)
        if match is None:
            abort(404)
        return match
    return builder.live_version(survey) or builder.shown_version(survey)


def _chosen(name: str, offered: list) -> tuple[int | None, str | None]:
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    try:
        chosen = whole_number(text, 2**31 - 1)
    except ValueError:
        chosen = None
    if chosen not in {choice.id for choice in offered}:
        return None, _("Choose one of the names in the list.")
    return chosen, None


def _period(survey=None) -> tuple[results.Period, dict[str, str]]:
    """The dates asked for and, for a rating survey, the procedure and agency (ids among those rated)."""
    first, first_problem = _day("from")
    last, last_problem = _day("to")
    problems = {name: problem for name, problem in (("from", first_problem), ("to", last_problem)) if problem}
    if first and last and last < first:
        problems["to"] = _("The last day must not be before the first day.")
    responses = None
    if survey is not None and survey.for_ratings:
        from onestop.ratings import filters

        procedures, agencies = filters.choices(survey)
        procedure_id, problems["procedure"] = _chosen("procedure", procedures)
        agency_id, problems["agency"] = _chosen("agency", agencies)
        problems = {name: problem for name, problem in problems.items() if problem}
        responses = filters.responses_for(procedure_id, agency_id)
    return results.Period(first, last, responses), problems


def _rating_filters(survey) -> dict:
    if not survey.for_ratings:
        return {"procedures": [], "agencies": []}
    from onestop.ratings import filters

    procedures, agencies = filters.choices(survey)
    return {"procedures": procedures, "agencies": agencies}


@bp.get("/<int:survey_id>/results")
@login_required
def show(survey_id: int):
    # The survey with its versions, sections and questions in one query, held so that the reader's check below
    # finds it in the session instead of asking again (a session keeps only the objects someone holds).
    _preloaded = results.load_versions(survey_id)
    survey = builder.survey_for_reader(current_user, survey_id)
    version = _version(survey)
    period, problems = _period(survey)
    if problems:
        period = results.Period()
    try:
        page = whole_number(request.args.get("page") or "1", 10_000) or 1
    except ValueError:
        page = 1
    search = request.args.get("q", "")[:200]
    per_question = results.question_results(version, period)
    question_charts = {
        result.question.key: charts.bar_chart(
            _("Answers to %(question)s", question=result.question.key.upper()),
            results.describe_chart(result),
            [charts.Point(line.label, line.percent, f"{line.count} ({line.percent}%)") for line in result.lines],
            chart_id=f"chart-{result.question.key}",
            maximum=100,
        )
        for result in per_question
        if result.is_counted
    }
    months = results.monthly_responses(version, period)
    trend = charts.trend_chart(
        _("Responses per month"),
        _("%(total)d responses over %(months)d months.", total=sum(c for _m, c in months), months=len(months)),
        [charts.Point(month, count) for month, count in months],
        chart_id="chart-months",
    )
    texts, more = results.text_answers(version, period, search, page)
    status = 422 if problems else 200
    return render_template(
        "surveys/results.html",
        survey=survey,
        version=version,
        total=results.response_total(version, period, months),
        per_question=per_question,
        question_charts=question_charts,
        months=months,
        trend=trend,
        texts=texts,
        more=more,
        page=page,
        search=search,
        problems=problems,
        is_owner=survey.owner_id == current_user.id,
        rating_filters=_rating_filters(survey),
    ), status


def _download(survey_id: int, kind: str):
    survey = builder.survey_for_reader(current_user, survey_id)
    version = _version(survey)
    period, problems = _period(survey)
    if problems:
        abort(400)
    name = f"survey-{survey.code}-v{version.number}"
    if kind == "csv":
        body = "\ufeff" + exports.as_csv(version, period)  # the BOM makes Excel read UTF-8
        mimetype = "text/csv; charset=utf-8"
    else:
        body = exports.as_xlsx(version, period)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


@bp.get("/<int:survey_id>/results.csv")
@login_required
def csv(survey_id: int):
    return _download(survey_id, "csv")


@bp.get("/<int:survey_id>/results.xlsx")
@login_required
def xlsx(survey_id: int):
    return _download(survey_id, "xlsx")


@bp.get("/<int:survey_id>/qr.<kind>")
@login_required
def qr(survey_id: int, kind: str):
    """The short link as a QR code for print: 10 px modules (about 3 cm at 300 dpi) and the standard quiet zone."""
    survey = builder.survey_for_reader(current_user, survey_id)
    if kind not in ("png", "svg"):
        abort(404)
    code = segno.make(public_link("answers.start", code=survey.code), error="m")
    out = io.BytesIO()
    if kind == "png":
        code.save(out, kind="png", scale=10, border=4)
        mimetype = "image/png"
    else:
        code.save(out, kind="svg", scale=10, border=4, title=_("QR code of the survey link"), unit="px")
        mimetype = "image/svg+xml"
    return Response(
        out.getvalue(),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.code}.{kind}"'},
    )


@bp.get("/<int:survey_id>/export")
@login_required
def export(survey_id: int):
    survey = builder.survey_for_reader(current_user, survey_id)
    body = transfer.export_survey(builder.shown_version(survey))
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.code}.json"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_file():
    builder.surveys_of(current_user)  # staff only
    form = ImportForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("surveys/import.html", form=form), status
    raw = form.file.data.read(transfer.MAX_FILE_BYTES + 1)
    try:
        survey = transfer.import_survey(current_user, raw)
    except SurveyError as error:
        form.file.errors = list(error.problems)
        return render_template("surveys/import.html", form=form), 422
    flash(_("The survey was imported as a draft. Check it, then publish it."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


def _share_limit() -> str:
    return current_app.config["SURVEY_SHARE_RATE_LIMIT"]


@bp.route("/<int:survey_id>/sharing", methods=["GET", "POST"])
@login_required
@limiter.limit(_share_limit, methods=["POST"])
def sharing(survey_id: int):
    survey = builder.survey_for_owner(current_user, survey_id)
    form = ShareForm()
    if present.made_by_citizen(survey):
        form.email.label.text = _("E-mail address of the person's account")
    status = 200
    if form.validate_on_submit():
        try:
            colleague = builder.share(current_user, survey.id, form.email.data)
        except SurveyError as error:
            form.email.errors = list(error.problems)
            status = 422
        else:
            flash(_("%(name)s can now read the results.", name=colleague.full_name), "success")
            return redirect(url_for("survey_results.sharing", survey_id=survey.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "surveys/sharing.html", survey=survey, form=form, shares=builder.shares_of(survey), remove_form=ConfirmForm()
    ), status


@bp.post("/<int:survey_id>/sharing/<int:user_id>/remove")
@login_required
def unshare(survey_id: int, user_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    builder.unshare(current_user, survey_id, user_id)
    flash(_("The colleague can no longer read the results."), "success")
    return redirect(url_for("survey_results.sharing", survey_id=survey_id))
