"""Pages of a result: the specialist's draft, the leader's approval-and-signing page and its progress.

Views parse, call one service of drafting.py or signing.py, and redirect; a refusal re-renders the page with
the message and everything typed. Signing itself runs in a Celery task: the page shows its progress.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop.datastore.services import read_blob
from onestop.errors import Conflict, InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.inputs import row_id
from onestop.procedures import workflow
from onestop.results import drafting, signing

bp = Blueprint("results", __name__, url_prefix="/office/applications/<int:application_id>/result")


@bp.before_request
def _staff_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_staff or current_user.agency_id is None:
        abort(403)
    return None


def _draft_page(
    application, error: str | None = None, errors: dict | None = None, typed: dict | None = None, status=200
):
    draft = drafting.draft_of(application)
    values = (
        typed
        if typed is not None
        else (draft.fields if draft and draft.fields else drafting.default_fields(application))
    )
    page = render_template(
        "results/draft.html",
        application=application,
        draft=draft,
        specs=drafting.field_specs(application),
        values=values,
        errors=errors or {},
        error=error,
        may_draft=drafting.may_draft(current_user, application),
        has_template=drafting.template_of(application) is not None,
    )
    return page, status


@bp.get("/draft")
@login_required
def draft(application_id: int):
    return _draft_page(workflow.get_for_staff(current_user, application_id))


@bp.post("/draft")
@login_required
def save(application_id: int):
    application = workflow.get_for_staff(current_user, application_id)
    typed = {key: value for key, value in request.form.items() if key != "csrf_token"}
    try:
        drafting.save_draft(application, current_user, typed)
    except (InvalidInput, NotAllowed, Conflict) as error:
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        return _draft_page(application, error.message, getattr(error, "fields", {}), typed, error.status_code)
    flash(_("The draft was saved. Check the PDF before the leader signs it."))
    return redirect(url_for("results.draft", application_id=application_id))


@bp.post("/upload")
@login_required
def upload(application_id: int):
    from onestop.datastore.uploads import receive_with_settings

    application = workflow.get_for_staff(current_user, application_id)
    file = request.files.get("result")
    try:
        received = (
            receive_with_settings(file.stream, file.filename, current_app.config) if file and file.filename else None
        )
        drafting.upload_draft(application, current_user, received)
    except (InvalidInput, NotAllowed, Conflict) as error:
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        return _draft_page(application, error.message, status=error.status_code)
    flash(_("The result PDF was attached. The leader signs it on approval."))
    return redirect(url_for("results.draft", application_id=application_id))


@bp.get("/draft.pdf")
@login_required
def draft_pdf(application_id: int):
    application = workflow.get_for_staff(current_user, application_id)
    found = drafting.draft_of(application)
    if found is None or not found.pdf_sha256:
        abort(404)
    response = Response(read_blob(found.pdf_sha256), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{application.code}-draft.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_page(application, error: str | None = None, status: int = 200):
    page = signing.sign_page(application, current_user)
    return render_template("results/sign.html", application=application, page=page, error=error), status


@bp.get("/sign")
@login_required
def sign(application_id: int):
    application = workflow.get_for_staff(current_user, application_id)
    try:
        return _sign_page(application)
    except (NotAllowed, Conflict, InvalidInput) as error:
        db.session.rollback()
        flash(error.message)
        return redirect(url_for("office.application", application_id=application_id))


@bp.post("/sign")
@login_required
def ask(application_id: int):
    application = workflow.get_for_staff(current_user, application_id)
    form = request.form
    try:
        signing.ask_to_sign(
            application, current_user, form.get("otp", ""), form.get("sha256", ""), form.get("version", type=row_id)
        )
    except (InvalidInput, NotAllowed, Conflict) as error:
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        try:
            return _sign_page(application, error.message, error.status_code)
        except (NotAllowed, Conflict, InvalidInput):
            db.session.rollback()
            flash(error.message)
            return redirect(url_for("office.application", application_id=application_id))
    return redirect(url_for("results.sign", application_id=application_id))


@bp.post("/send-code")
@login_required
def send_code(application_id: int):
    application = workflow.get_for_staff(current_user, application_id)
    try:
        signing.send_code(application, current_user)
    except (InvalidInput, NotAllowed, Conflict) as error:
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        return _sign_page(application, error.message, error.status_code)
    flash(_("A code was sent to you. Enter it below."))
    return redirect(url_for("results.sign", application_id=application_id))
