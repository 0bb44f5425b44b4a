"""What the applicant is told when their file moves (until notifications render events per channel)."""

from __future__ import annotations

from flask_babel import gettext as _

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.links import public_link
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.procedures.models import Application


def _status_link(application: Application) -> str:
    return public_link("filing.timeline", application_id=application.id)


def tell_citizen(application: Application, subject: str, body: str) -> None:
    """E-mail the applicant (and the submitter acting for them), or a text message when there is no e-mail."""
    for user_id in {application.applicant_id, application.submitter_id}:
        user = db.session.get(User, user_id)
        if user is None or user.is_staff or not user.is_active:
            continue
        text = body + "\n\n" + _("Follow your application here: %(link)s", link=_status_link(application))
        if user.email:
            queue_message(Channel.EMAIL, user.email, text, subject=subject, user_id=user.id)
        elif user.phone:
            queue_message(Channel.SMS, user.phone, f"{subject}. {body}"[:300], user_id=user.id)


def tell_refusal(application: Application, reason: str) -> None:
    tell_citizen(
        application,
        _("Application %(code)s refused", code=application.code),
        _(
            "%(agency)s refused your application %(code)s.\n\nReason: %(reason)s\n\n"
            "The refusal slip is in your account. Any fee you paid is refunded.",
            agency=application.receiving_agency.display_name(),
            code=application.code,
            reason=reason,
        ),
    )
