"""The public verification page (no sign-in) and the leader's revocation of a signed document.

`/verify` takes a typed code (and sends it on to `/v/<code>`, the link in every QR code) or an uploaded PDF;
`/v/<code>` shows what the code stands for. Views parse; verify.py decides; verify_present.py words it.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Optional

from onestop.errors import InvalidInput
from onestop.extensions import limiter
from onestop.forms import REQUIRED, max_length
from onestop.i18n import localized
from onestop.results import revocation, verify
from onestop.results.codes import normalise_code
from onestop.results.verify_present import present, revoked_in_warehouse, revoked_of_application

bp = Blueprint("verify", __name__)

CODE_HINT = _l("Ten letters and digits, printed under the QR code, for example 7KQ4-MX29-HP.")


@bp.context_processor
def _form_words() -> dict:
    return {"code_hint": CODE_HINT, "max_mb": verify.max_upload_bytes() // (1024 * 1024)}


# Asked by the applicant's pages (filing/timeline.html, datastore/index.html): what of theirs was revoked.
bp.add_app_template_global(revoked_of_application, "revoked_of_application")
bp.add_app_template_global(revoked_in_warehouse, "revoked_in_warehouse")


def _limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


class VerifyForm(FlaskForm):
    code = StringField(_l("Verification code"), validators=[Optional(), max_length(40)])
    file = FileField(_l("Or the PDF file you received"), validators=[Optional()])

    def has_file(self) -> bool:
        return bool(self.file.data and getattr(self.file.data, "filename", ""))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        typed = (self.code.data or "").strip()
        if typed and normalise_code(typed) is None:
            self.code.errors.append(
                _("This is not a verification code: it has ten letters and digits, like 7KQ4-MX29-HP.")
            )
            valid = False
        if valid and not typed and not self.has_file():
            self.code.errors.append(_("Type the verification code, or choose the PDF file to check."))
            valid = False
        return valid


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this document revoked?"),
        validators=[REQUIRED, max_length(revocation.REASON_MAX_LENGTH)],
    )


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def check():
    form = VerifyForm()
    if not form.validate_on_submit():
        return render_template("verify/check.html", form=form), (422 if form.is_submitted() else 200)
    if not form.has_file():
        return redirect(url_for("verify.by_code", code=normalise_code(form.code.data)))
    # The request keeps at most one byte past UPLOAD_MAX_BYTES of a file: reading that byte means "too large".
    content = form.file.data.read(verify.max_upload_bytes() + 1)
    result = verify.verify_upload(content, form.code.data)
    page = present(result)
    return render_template("verify/result.html", page=page, form=VerifyForm(formdata=None), uploaded=True)


@bp.get("/v/<code>")
@limiter.limit(_limit)
def by_code(code: str):
    result = verify.verify_code(code)
    page = present(result)
    form = VerifyForm(formdata=None, code=result.code or code)
    return render_template("verify/result.html", page=page, form=form, uploaded=False), (200 if page.found else 404)


@bp.route("/v/<code>/revoke", methods=["GET", "POST"])
@login_required
def revoke(code: str):
    document = verify.find_by_code(code)
    if document is None:
        abort(404)
    refusal = revocation.revocation_refusal(current_user, document)
    if refusal:
        return render_template("verify/revoke.html", refusal=refusal, document=document, form=None), 403
    form = RevokeForm()
    title = localized(document.title)
    if form.validate_on_submit():
        try:
            revocation.revoke(current_user, document, form.reason.data)
        except InvalidInput as problem:
            form.reason.errors.append(problem.message)
        else:
            message = _("The document %(code)s is revoked; the applicant is told.", code=document.verification_code)
            flash(message, "success")
            return redirect(url_for("verify.by_code", code=document.verification_code))
    status = 422 if form.is_submitted() else 200
    return render_template("verify/revoke.html", refusal=None, document=document, title=title, form=form), status
