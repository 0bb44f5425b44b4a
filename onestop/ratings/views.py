"""The rating pages: online at the invitation's link, on the counter tablet at a link a clerk opens, no JavaScript."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop.accounts.views import sign_out_this_device
from onestop.errors import NotAllowed, OnestopError
from onestop.extensions import limiter
from onestop.procedures.signals import application_changed
from onestop.procedures.workflow.common import get_for_staff
from onestop.ratings import present, services
from onestop.ratings.models import RatingChannel, RatingInvitation
from onestop.surveys import answering
from onestop.surveys import present as survey_present
from onestop.surveys.answer_views import values_from_answers, values_from_form
from onestop.surveys.answering import AlreadyAnswered
from onestop.surveys.builder import live_version
from onestop.surveys.forms import ConfirmForm

bp = Blueprint("ratings", __name__)

TABLET_LAYOUT = "ratings/tablet_base.html"


@bp.context_processor
def _presenters() -> dict:
    return {"survey_present": survey_present}


def _page_limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT"]


@bp.get("/rate/<token>")
def rate(token: str):
    services.invitation_by_token(token)
    return redirect(url_for("ratings.online_page", token=token, number=1))


@bp.route("/rate/<token>/<int:number>", methods=["GET", "POST"])
@limiter.limit(_page_limit, methods=["POST"])
def online_page(token: str, number: int):
    return _answer(services.invitation_by_token(token), RatingChannel.ONLINE, token, number)


@bp.route("/rate/counter/<token>/<int:number>", methods=["GET", "POST"])
@limiter.limit(_page_limit, methods=["POST"])
def counter_page(token: str, number: int):
    return _answer(services.invitation_by_counter_token(token), RatingChannel.COUNTER, token, number)


def _endpoints(channel: RatingChannel) -> tuple[str, str, str | None]:
    if channel == RatingChannel.COUNTER:
        return "ratings.counter_page", "ratings.counter_thanks", TABLET_LAYOUT
    return "ratings.online_page", "ratings.online_thanks", None


def _answer(invitation: RatingInvitation, channel: RatingChannel, token: str, number: int):
    page_endpoint, thanks_endpoint, layout = _endpoints(channel)
    try:
        response = services.response_for(invitation, channel)
    except AlreadyAnswered:
        return redirect(url_for(thanks_endpoint, token=token))
    sections = answering.pages(response)
    if not 1 <= number <= len(sections):
        return redirect(url_for(page_endpoint, token=token, number=len(sections)))
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
            except AlreadyAnswered:
                return redirect(url_for(thanks_endpoint, token=token))
            if not errors:
                if going_back:
                    return redirect(url_for(page_endpoint, token=token, number=max(1, number - 1)))
                sections = answering.pages(response)
                if number < len(sections):
                    return redirect(url_for(page_endpoint, token=token, number=number + 1))
                try:
                    services.submit_rating(invitation, response, request.form.get("token", ""))
                except AlreadyAnswered:
                    return redirect(url_for(thanks_endpoint, token=token))
                except OnestopError as error:
                    errors = {"": error.message}
                else:
                    return redirect(url_for(thanks_endpoint, token=token))
    values = (
        values_from_form(questions) if errors else values_from_answers(answering.stored_answers(response), questions)
    )
    return render_template(
        "surveys/answer_page.html",
        layout=layout,
        survey=invitation.survey,
        version=live_version(invitation.survey),
        section=section,
        questions=questions,
        number=number,
        count=len(sections),
        is_last=number == len(sections),
        values=values,
        errors=errors,
        form=form,
        token=response.submit_token,
        rating=present.rating_heading(invitation),
    ), (422 if errors else 200)


@bp.get("/rate/<token>/thanks")
def online_thanks(token: str):
    invitation = services.invitation_by_token(token)
    return render_template("ratings/thanks.html", rating=present.rating_heading(invitation), layout=None)


@bp.get("/rate/counter/<token>/thanks")
def counter_thanks(token: str):
    # The counter link is cleared once the rating is sent: the thanks page needs nothing from it.
    return render_template("ratings/thanks.html", rating=None, layout=TABLET_LAYOUT)


@bp.post("/office/applications/<int:application_id>/rating/counter")
@login_required
def open_counter(application_id: int):
    application = get_for_staff(current_user, application_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("office.application", application_id=application.id))
    try:
        invitation = services.open_at_counter(current_user, application)
    except NotAllowed as error:
        flash(error.message, "error")
        return redirect(url_for("office.application", application_id=application.id))
    if request.form.get("device") == "this":
        # The clerk hands this very device to the applicant: nothing of the staff session may stay on it.
        sign_out_this_device()
        return redirect(url_for("ratings.counter_page", token=invitation.counter_token, number=1))
    return render_template("ratings/counter_code.html", application=application, code=present.counter_code(invitation))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["rating_box"] = present.rating_box
    app.jinja_env.globals["counter_rating"] = present.counter_rating
    application_changed.connect(services.on_application_changed, weak=False)
