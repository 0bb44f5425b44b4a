"""The citizen's warehouse pages (list, upload ahead, download, read log), their personal-data rights
(download everything, close the account) and the back-office route staff open documents through.
"""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from onestop import localtime
from onestop.accounts.services import AccountError
from onestop.datastore import personal_data, services
from onestop.datastore.models import IssuedType, Provenance
from onestop.datastore.uploads import UploadRejected, receive_with_settings
from onestop.extensions import db, limiter
from onestop.forms import REQUIRED, max_length
from onestop.i18n import localized
from onestop.inputs import date_from_parts, row_id
from onestop.payments.receipts import RECEIPT_TITLE
from onestop.portal.context import current_province
from onestop.procedures.models import Application
from onestop.procedures.reference import reference
from onestop.procedures.workflow.processing import result_names

bp = Blueprint("warehouse", __name__)

PROVENANCE_TITLES = {
    Provenance.UPLOADED: _l("Uploaded by you"),
    Provenance.DIGITISED: _l("Scanned at the counter"),
    Provenance.ISSUED: _l("Issued by an agency"),
}
DATE_EXAMPLE = _l("For example, 27 3 2020")


def _upload_limit() -> str:
    return current_app.config["UPLOAD_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_RATE_LIMIT"]


# --- Forms ---------------------------------------------------------------------------------------


def _date_from(day: str, month: str, year: str) -> date | None:
    """The date typed in three boxes; None when all are empty; ValueError when it is not a real date."""
    if not any((part or "").strip() for part in (day, month, year)):
        return None
    return date_from_parts(day, month, year)


class UploadForm(FlaskForm):
    document_type = SelectField(_l("Kind of document"), validators=[DataRequired(_l("Choose the kind of document."))])
    title = StringField(_l("Title"), validators=[Optional(), max_length(300)])
    issuer = StringField(_l("Issued by"), validators=[Optional(), max_length(300)])
    number = StringField(_l("Number"), validators=[Optional(), max_length(100)])
    issued_day = StringField(_l("Day"))
    issued_month = StringField(_l("Month"))
    issued_year = StringField(_l("Year"))
    expires_day = StringField(_l("Day"))
    expires_month = StringField(_l("Month"))
    expires_year = StringField(_l("Year"))
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])

    issued_on: date | None = None
    expires_on: date | None = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        try:
            self.issued_on = _date_from(self.issued_day.data, self.issued_month.data, self.issued_year.data)
        except ValueError:
            self.issued_day.errors.append(_("Enter a real date of issue, for example 27 3 2020."))
            valid = False
        try:
            self.expires_on = _date_from(self.expires_day.data, self.expires_month.data, self.expires_year.data)
        except ValueError:
            self.expires_day.errors.append(_("Enter a real expiry date, for example 27 3 2030."))
            valid = False
        if self.issued_on and self.issued_on > localtime.today():
            self.issued_day.errors.append(_("The date of issue cannot be in the future."))
            valid = False
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            self.expires_day.errors.append(_("The expiry date cannot be before the date of issue."))
            valid = False
        return valid


class CloseAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[REQUIRED, max_length(128)])


# --- Helpers -------------------------------------------------------------------------------------


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))
    return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))


def reason_text(entry: services.AccessEntry) -> str:
    """The recorded reason in the reader's language where it is one the portal writes itself."""
    if entry.reason == services.OWNER_DOWNLOAD:
        return _("You downloaded it")
    if entry.reason == services.EXPORT:
        return _("Copied into your data download")
    if entry.application_code and entry.reason == services.PROCESSING % entry.application_code:
        return _("Processing application %(code)s", code=entry.application_code)
    return entry.reason


@bp.app_template_global()
def document_title(document) -> str:
    """The title in the reader's language where the portal named it (its kind, a fee receipt); else as typed."""
    name = reference().document_types.get((current_province().id, document.document_type_code))
    if name and document.title in name.values():
        return localized(name)
    if document.document_type_code == IssuedType.RESULT and document.source_application_id:
        names = result_names(db.session.get(Application, document.source_application_id))
        if isinstance(names, dict) and document.title in names.values():
            return localized(names)
    receipt_prefix = RECEIPT_TITLE.format(code="")
    if document.document_type_code == IssuedType.RECEIPT and document.title.startswith(receipt_prefix):
        return _("Fee receipt for application %(code)s", code=document.title.removeprefix(receipt_prefix))
    return document.title


@bp.app_template_global()
def document_issuer(document) -> str:
    """Who issued it: an agency of the province by its name in the reader's language; else as typed."""
    if document.provenance != Provenance.ISSUED:
        return document.issuer
    for agency in reference().agencies.values():
        if document.issuer in agency.name.values():
            return agency.display_name()
    return document.issuer


def _send(document, stream):
    response = send_file(
        stream,
        mimetype=document.blob.content_type,
        as_attachment=True,
        download_name=document.filename,
        etag=False,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- The warehouse -------------------------------------------------------------------------------


@bp.get("/warehouse")
@login_required
def index():
    documents = services.documents_of(current_user)
    today = localtime.today()
    return render_template(
        "datastore/index.html",
        documents=documents,
        expiry={document.id: services.expiry_of(document, today) for document in documents},
        type_names={kind.code: kind.display_name() for kind in services.document_types(current_province())}
        | {kind.value: kind.title for kind in IssuedType},
        codes=services.source_application_codes(documents),
        provenance_titles=PROVENANCE_TITLES,
        human_size=human_size,
        soon_days=services.EXPIRING_SOON_DAYS,
    )


def _render_upload(form: UploadForm, status: int = 200):
    return (
        render_template(
            "datastore/upload.html",
            form=form,
            max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
            date_example=DATE_EXAMPLE,
        ),
        status,
    )


@bp.route("/warehouse/upload", methods=["GET", "POST"])
@login_required
@limiter.limit(_upload_limit, methods=["POST"])
def upload():
    form = UploadForm()
    kinds = services.document_types(current_province())
    form.document_type.choices = [("", _("— choose —"))] + [(kind.code, kind.display_name()) for kind in kinds]
    if not form.validate_on_submit():
        return _render_upload(form, 422) if form.is_submitted() else _render_upload(form)
    chosen = form.file.data
    try:
        received = receive_with_settings(chosen.stream, chosen.filename, current_app.config)
    except UploadRejected as rejected:
        form.file.errors.append(rejected.message)
        return _render_upload(form, 422)
    type_name = next(kind.display_name() for kind in kinds if kind.code == form.document_type.data)
    services.add_to_warehouse(
        current_user,
        form.document_type.data,
        received,
        form.title.data or type_name,
        form.issuer.data or "",
        form.number.data or "",
        form.issued_on,
        form.expires_on,
    )
    flash(_("The document was added to your warehouse."), "success")
    return redirect(url_for("warehouse.index"))


@bp.get("/warehouse/<int:document_id>/download")
@login_required
def download(document_id: int):
    document, stream = services.read_document(current_user, document_id, services.OWNER_DOWNLOAD)
    return _send(document, stream)


@bp.get("/warehouse/log")
@login_required
def log():
    return render_template("datastore/log.html", entries=services.access_log(current_user), reason_text=reason_text)


# --- Back office ---------------------------------------------------------------------------------


@bp.get("/office/documents/<int:document_id>")
@login_required
def office_document(document_id: int):
    document, stream = services.read_for_processing(
        current_user, document_id, request.args.get("application", type=row_id)
    )
    return _send(document, stream)


# --- Personal data -------------------------------------------------------------------------------


@bp.route("/account/export", methods=["GET", "POST"])
@login_required
@limiter.limit(_account_limit, methods=["POST"])
def export():
    if request.method == "GET":
        return render_template("datastore/export.html")
    archive = personal_data.export_personal_data(current_user)
    return send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"personal-data-{localtime.today():%Y-%m-%d}.zip",
        etag=False,
        conditional=False,
    )


@bp.route("/account/close", methods=["GET", "POST"])
@login_required
@limiter.limit(_account_limit, methods=["POST"])
def close():
    form = CloseAccountForm()
    blocking = personal_data.applications_blocking_closure(current_user)
    if form.validate_on_submit():
        try:
            personal_data.close_account(current_user, form.password.data)
        except AccountError as error:
            field = getattr(form, error.field, None) if error.field else None
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            logout_user()
            session.clear()
            return redirect(url_for("warehouse.closed"))
    status = 422 if form.is_submitted() else 200
    return render_template("datastore/close.html", form=form, blocking=blocking), status


@bp.get("/account/closed")
def closed():
    return render_template("datastore/closed.html")
