"""The citizen's pages: their digital signature (account), and signing the papers of a draft application."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop.datastore.services import read_blob
from onestop.declarations import credentials, services
from onestop.declarations.present import applicant_signature, issued_type_title
from onestop.errors import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.extensions import db, limiter
from onestop.procedures import filing

bp = Blueprint("declarations", __name__)
bp.add_app_template_global(applicant_signature, "applicant_signature")
bp.add_app_template_global(issued_type_title, "issued_type_title")

_REFUSALS = (InvalidInput, NotAllowed, Conflict)


# --- The citizen's digital signature ----------------------------------------------------------------------


def _signature_page(enrolment=None, error: str | None = None, status: int = 200):
    signature = credentials.signature_of(current_user)
    return (
        render_template("declarations/signature.html", signature=signature, enrolment=enrolment, error=error),
        status,
    )


@bp.get("/account/signature")
@login_required
def signature():
    if current_user.is_staff:
        abort(404)
    return _signature_page()


@bp.post("/account/signature")
@login_required
@limiter.limit("10 per hour")
def change_signature():
    if current_user.is_staff:
        abort(404)
    action, password = request.form.get("action", ""), request.form.get("password", "")
    try:
        if action == "stop":
            credentials.revoke(current_user, password)
            flash(_("Your digital signature was stopped. Nobody can sign with it any more."), "success")
            return redirect(url_for("declarations.signature"))
        enrolment = credentials.enrol(current_user, password, replace=action == "replace")
    except _REFUSALS as refused:
        return _signature_page(error=refused.message, status=refused.status_code)
    # The QR code is shown in this answer only: it is the secret, and it is not kept anywhere in the portal.
    return _signature_page(enrolment=enrolment)


# --- Signing the papers of a draft ---------------------------------------------------------------------------


def _own_draft(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    try:
        services.check_signer(current_user, application)
    except Conflict:
        return application, False
    return application, True


def _kept(application_id: int) -> services.Prepared | None:
    kept = session.get(f"declaration-{application_id}")
    if isinstance(kept, list) and len(kept) == 3 and all(isinstance(part, str) for part in kept):
        return services.Prepared(*kept)
    return None


def _prepared(application) -> services.Prepared:
    prepared = services.prepare_declaration(application, current_user, _kept(application.id))
    session[f"declaration-{application.id}"] = [prepared.sha256, prepared.verification_code, prepared.answers_at]
    return prepared


@bp.get("/applications/<int:application_id>/sign")
@login_required
def papers(application_id: int):
    application, is_draft = _own_draft(application_id)
    if not is_draft:
        return redirect(url_for("filing.timeline", application_id=application.id))
    return render_template(
        "declarations/papers.html", application=application, papers=services.papers(application, current_user)
    )


def _sign_page(application, key: str, error: str | None = None, status: int = 200):
    paper = services.paper(application, current_user, key)
    sha256 = ""
    if paper.may_sign:
        sha256 = _prepared(application).sha256 if paper.is_declaration else paper.link.document.blob_sha256
    signature = credentials.signature_of(current_user) if paper.may_sign else None
    return (
        render_template(
            "declarations/sign.html",
            application=application,
            paper=paper,
            sha256=sha256,
            signature=signature,
            error=error,
        ),
        status,
    )


@bp.get("/applications/<int:application_id>/sign/<key>")
@login_required
def sign(application_id: int, key: str):
    application, is_draft = _own_draft(application_id)
    if not is_draft:
        return redirect(url_for("filing.timeline", application_id=application.id))
    return _sign_page(application, key)


@bp.post("/applications/<int:application_id>/sign/<key>")
@login_required
@limiter.limit("30 per hour")
def ask(application_id: int, key: str):
    application, is_draft = _own_draft(application_id)
    if not is_draft:
        return redirect(url_for("filing.timeline", application_id=application.id))
    try:
        services.ask_to_sign(
            application,
            current_user,
            key,
            request.form.get("otp", ""),
            request.form.get("sha256", ""),
            _kept(application.id) if key == services.DECLARATION else None,
        )
    except _REFUSALS as refused:
        db.session.rollback()
        application = filing.get_own_application(current_user, application_id)
        return _sign_page(application, key, refused.message, refused.status_code)
    return redirect(url_for("declarations.sign", application_id=application_id, key=key))


@bp.get("/applications/<int:application_id>/sign/declaration.pdf")
@login_required
def declaration_pdf(application_id: int):
    """The declaration exactly as it will be signed (the bytes whose SHA-256 the page shows)."""
    application, is_draft = _own_draft(application_id)
    kept = _kept(application.id)
    if not is_draft or kept is None:
        raise NotFound(_("Open the signing page of the declaration first."))
    response = Response(read_blob(kept.sha256), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="to-khai-{application.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
