"""The portal inbox, a person's message choices, the admin's message templates, and the demo mailbox."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from onestop.extensions import db
from onestop.i18n import current_language
from onestop.inputs import row_id
from onestop.notifications import inbox, preferences, wording_admin
from onestop.notifications.events import EVENTS
from onestop.notifications.forms import LANGUAGE_NAMES, PreferencesForm, TemplateForm
from onestop.notifications.models import Channel, OutboxMessage
from onestop.notifications.render import SUBJECT_CHANNELS

bp = Blueprint("notifications", __name__)


@bp.get("/dev/mailbox")
def mailbox():
    if not current_app.config["DEV_MAILBOX"]:
        abort(404)
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)).all()
    return render_template("notifications/mailbox.html", messages=messages)


@bp.get("/inbox")
@login_required
def inbox_page():
    before = request.args.get("before", type=row_id)
    notices = inbox.notices_of(current_user, before)
    more = notices[-1].id if len(notices) == inbox.PAGE_SIZE else None
    language = current_language()
    shown = list(zip(notices, inbox.worded(notices, language), strict=True))
    problems = preferences.reach_of(current_user).problems
    return render_template("notifications/inbox.html", notices=shown, more=more, problems=problems)


@bp.get("/inbox/<int:notice_id>")
@login_required
def notice(notice_id: int):
    opened = inbox.open_notice(current_user, notice_id)
    return render_template(
        "notifications/notice.html", notice=opened, words=inbox.worded([opened], current_language())[0]
    )


@bp.post("/inbox/read-all")
@login_required
def read_all():
    inbox.mark_all_read(current_user)
    flash(_("Every notice is marked as read."), "success")
    return redirect(url_for("notifications.inbox_page"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def choices():
    choices = preferences.choices_of(current_user)
    chosen = choices.row
    form = PreferencesForm()
    reach = choices.reach()
    if request.method == "GET":
        ticked = {Channel(name) for name in chosen.channels} if chosen else {Channel.EMAIL, Channel.SMS}
        form.by_email.data = Channel.EMAIL in ticked
        form.by_sms.data = Channel.SMS in ticked
        form.by_ott.data = Channel.OTT in ticked
        form.language.data = choices.language
        form.daily_digest.data = bool(chosen and chosen.daily_digest)
    elif form.validate_on_submit():
        picked = {
            channel
            for channel, wanted in (
                (Channel.EMAIL, form.by_email.data),
                (Channel.SMS, form.by_sms.data),
                (Channel.OTT, form.by_ott.data),
            )
            if wanted
        }
        preferences.save_preferences(current_user, picked, form.language.data, form.daily_digest.data)
        flash(_("Your message choices are saved."), "success")
        return redirect(url_for("notifications.choices"))
    return render_template(
        "notifications/choices.html",
        form=form,
        reach=reach,
        channels=Channel,
        ott_linked=Channel.OTT in reach.addresses,
        is_staff=current_user.is_staff,
    ), (422 if form.errors else 200)


@bp.get("/admin/messages")
@login_required
def templates():
    overridden = wording_admin.overridden(current_user)
    return render_template(
        "notifications/templates.html",
        events=EVENTS.values(),
        channels=wording_admin.CHANNELS,
        languages=LANGUAGE_NAMES,
        overridden=overridden,
    )


@bp.route("/admin/messages/<event>/<channel>/<language>", methods=["GET", "POST"])
@login_required
def edit_template(event: str, channel: str, language: str):
    current = wording_admin.current(current_user, event, channel, language)
    declared, channel_enum, language = wording_admin.find(event, channel, language)
    form = TemplateForm()
    status = 200
    if request.method == "GET":
        form.subject.data, form.body.data, form.unaccented.data = current.subject, current.body, current.unaccented
    elif request.form.get("reset"):
        wording_admin.reset(current_user, event, channel, language)
        flash(_("This message is back to the standard wording."), "success")
        return redirect(request.path)
    elif form.validate_on_submit() and request.form.get("save"):
        try:
            wording_admin.save(
                current_user,
                event,
                channel,
                language,
                form.subject.data or "",
                form.body.data or "",
                form.unaccented.data,
            )
        except wording_admin.TemplateInvalid as invalid:
            for name, problems in invalid.problems.items():
                getattr(form, name).errors = [
                    _("Line %(line)d: %(message)s", line=problem.line, message=problem.message) for problem in problems
                ]
            status = 422
        else:
            flash(_("The new wording is saved and used from now on."), "success")
            return redirect(request.path)
    subject, body = form.subject.data or "", form.body.data or ""
    problems = wording_admin.check(declared, channel_enum, subject, body)
    return render_template(
        "notifications/edit_template.html",
        form=form,
        event=declared,
        channel=channel_enum,
        language=language,
        languages=LANGUAGE_NAMES,
        has_subject=channel_enum in SUBJECT_CHANNELS,
        is_sms=channel_enum in (Channel.SMS, Channel.OTT),
        is_default=current.is_default,
        preview=None
        if problems
        else wording_admin.preview(declared, channel_enum, language, subject, body, form.unaccented.data),
        fields=sorted(declared.allowed_fields),
    ), status
