"""Citizens' side: send feedback (from an application, a procedure or the general form), read the answer, mark it."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop import localtime
from onestop.datastore.backends import storage_from_config
from onestop.datastore.uploads import UploadRejected, receive_with_settings
from onestop.errors import InvalidInput, NotAllowed
from onestop.extensions import limiter
from onestop.feedback import present, publishing, services
from onestop.feedback.forms import MAX_ATTACHMENTS, FeedbackForm, LookupForm, RatingForm
from onestop.feedback.models import FeedbackKind
from onestop.inputs import row_id
from onestop.portal.context import current_province

bp = Blueprint("feedback", __name__)


def _send_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT"]


def _sender():
    return current_user if current_user.is_authenticated else None


def _render_form(form: FeedbackForm, subject: services.Subject, status: int = 200):
    return (
        render_template(
            "feedback/new.html",
            form=form,
            subject=subject,
            max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
            max_files=MAX_ATTACHMENTS,
        ),
        status,
    )


def _chosen_files(form: FeedbackForm) -> list:
    return [chosen for chosen in (form.attachments.data or []) if chosen and chosen.filename]


@bp.route("/feedback/new", methods=["GET", "POST"])
@limiter.limit(_send_limit, methods=["POST"])
def new():
    province = current_province()
    application_id = request.args.get("application", type=row_id)
    subject = services.subject_for(_sender(), province, application_id, request.args.get("procedure"))
    form = FeedbackForm()
    form.agency.choices = [("", _("— choose —"))] + [
        (str(agency.id), agency.display_name()) for agency in services.agencies_of(province)
    ]
    if not form.validate_on_submit():
        return _render_form(form, subject, 422) if form.is_submitted() else _render_form(form, subject)
    if subject.is_general and not form.agency.data:
        form.agency.errors.append(_("Choose the agency your feedback is for."))
        return _render_form(form, subject, 422)
    chosen = _chosen_files(form)
    if len(chosen) > MAX_ATTACHMENTS:
        form.attachments.errors.append(_("Send at most %(count)d files.", count=MAX_ATTACHMENTS))
        return _render_form(form, subject, 422)
    received = []
    for upload in chosen:
        try:
            received.append(receive_with_settings(upload.stream, upload.filename, current_app.config))
        except UploadRejected as rejected:
            form.attachments.errors.append(
                _(
                    "%(name)s: %(problem)s Choose your files again.",
                    name=upload.filename[:100],
                    problem=rejected.message,
                )
            )
            return _render_form(form, subject, 422)
    try:
        feedback = services.send_feedback(
            province,
            _sender(),
            subject,
            kind=FeedbackKind(form.kind.data),
            title=form.title.data,
            body=form.body.data,
            agency_id=services.chosen_id(form.agency.data),
            anonymous=bool(form.anonymous.data) and subject.may_be_anonymous,
            attachments=received,
        )
    except (InvalidInput, NotAllowed) as refused:
        form.form_errors.append(refused.message)
        return _render_form(form, subject, 422)
    return render_template("feedback/sent.html", feedback=feedback, anonymous=feedback.author_id is None)


@bp.route("/feedback/lookup", methods=["GET", "POST"])
@limiter.limit(_send_limit, methods=["POST"])
def lookup():
    form = LookupForm()
    if form.validate_on_submit():
        code = services.normalised_code(form.code.data)
        if code:
            return redirect(url_for("feedback.show", code=code))
        form.code.errors.append(_("A feedback code has 10 letters and digits, for example ABCD23EFGH."))
    return render_template("feedback/lookup.html", form=form), (422 if form.errors else 200)


@bp.get("/feedback/mine")
@login_required
def mine():
    return render_template(
        "feedback/mine.html", rows=services.sent_by(current_user), today=localtime.today(), p=present
    )


def _show(feedback, form: RatingForm | None = None, status: int = 200):
    return (
        render_template(
            "feedback/show.html",
            feedback=feedback,
            form=form or RatingForm(formdata=None),
            today=localtime.today(),
            p=present,
        ),
        status,
    )


@bp.get("/feedback/<code>")
def show(code: str):
    return _show(services.for_sender(_sender(), code))


@bp.post("/feedback/<code>/rating")
@limiter.limit(_send_limit)
def rating(code: str):
    feedback = services.for_sender(_sender(), code)
    form = RatingForm()
    if not form.validate():
        return _show(feedback, form, 422)
    services.rate(feedback, form.satisfied.data == "yes")
    flash(_("Thank you: your mark was saved."), "success")
    return redirect(url_for("feedback.show", code=feedback.code))


@bp.get("/feedback/<code>/files/<int:attachment_id>")
def attachment(code: str, attachment_id: int):
    feedback = services.for_sender(_sender(), code)
    return send_attachment(services.attachment_of(feedback, attachment_id))


def send_attachment(attachment):
    stream = storage_from_config(current_app.config).open(attachment.blob_sha256)
    response = send_file(
        stream,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        etag=False,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app) -> None:
    from onestop.feedback import office_views  # noqa: F401  (its routes join this blueprint)

    app.register_blueprint(bp)
    app.jinja_env.globals["public_answers_for"] = publishing.public_answers
