"""Counter intake: what a clerk filing for a walk-in citizen may see of that citizen.

The rule follows the person acting. The applicant sees their own warehouse and remembered details.
A clerk filing for them at the counter sees only what the citizen hands over there (the ID card: name
and number), unless the citizen grants more by reading out a one-time code sent to their own phone or
e-mail. The grant is for that clerk and that application, while it is still being drafted, for
COUNTER_CONSENT_MAX_AGE seconds. An ID number alone opens nothing.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from onestop.accounts.models import User
from onestop.audit.services import record
from onestop.errors import InvalidInput, NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.procedures.models import Application, ApplicationState, CounterConsent

# Wrong codes allowed before the code is void and a new one must be sent.
MAX_FAILED_ATTEMPTS = 5


class ConsentError(InvalidInput):
    pass


def is_counter_filing(application: Application) -> bool:
    return application.submitter_id != application.applicant_id


def may_use_applicant_data(actor: User, application: Application) -> bool:
    """May the actor see the applicant's warehouse and remembered details for this application?"""
    if actor.id == application.applicant_id:
        return True
    consent = _consent_of(application)
    return (
        consent is not None
        and consent.clerk_id == actor.id
        and actor.id == application.submitter_id
        and application.state_enum is ApplicationState.DRAFT
        and consent.granted_at is not None
        and utcnow() - consent.granted_at <= timedelta(seconds=current_app.config["COUNTER_CONSENT_MAX_AGE"])
    )


def handed_over_facts(applicant: User) -> dict:
    """What a clerk knows without consent: the name and number on the ID card the citizen hands over."""
    return {"full_name": applicant.full_name, "citizen_id": applicant.citizen_id}


@dataclass(frozen=True)
class ConsentState:
    """What the counter-consent box shows the clerk."""

    is_granted: bool
    can_send: bool
    sent_to: str


def consent_state(actor: User, application: Application) -> ConsentState | None:
    """None when there is nothing to ask: the actor is the applicant, or this is no counter draft of theirs."""
    if (
        actor.id == application.applicant_id
        or actor.id != application.submitter_id
        or application.state_enum is not ApplicationState.DRAFT
    ):
        return None
    consent = _consent_of(application)
    pending = consent is not None and consent.code_hash is not None and consent.clerk_id == actor.id
    return ConsentState(
        is_granted=may_use_applicant_data(actor, application),
        can_send=_destination(application.applicant) is not None,
        sent_to=consent.sent_to if pending else "",
    )


def send_consent_code(application: Application, clerk: User) -> None:
    """Send the walk-in citizen a one-time code to read out, granting this clerk their saved papers and details."""
    _check_clerk(application, clerk)
    destination = _destination(application.applicant)
    if destination is None:
        raise ConsentError(
            _("The citizen has no phone number or e-mail address on their account: scan the papers they brought.")
        )
    channel, address, shown = destination
    code = f"{secrets.randbelow(1_000_000):06d}"
    consent = _consent_of(application) or CounterConsent(application_id=application.id)
    consent.clerk_id = clerk.id
    consent.code_hash = generate_password_hash(code)
    consent.sent_to = shown
    consent.sent_at = utcnow()
    consent.failed_attempts = 0
    consent.granted_at = None
    db.session.add(consent)
    minutes = current_app.config["PHONE_CODE_MAX_AGE"] // 60
    text = _(
        "%(agency)s is filing an application for you at its counter. To let the clerk use the papers and details "
        "saved in your account, read out this code: %(code)s (valid %(minutes)s minutes). If you are not at the "
        "counter, do not give it to anyone.",
        agency=application.receiving_agency.display_name(),
        code=code,
        minutes=minutes,
    )
    subject = _("Code to use your saved papers at the counter") if channel is Channel.EMAIL else ""
    queue_message(channel, address, text, subject=subject, user_id=application.applicant_id)
    db.session.flush()


def confirm_consent(application: Application, clerk: User, code: str) -> None:
    """The citizen read out the code: the clerk may use their warehouse and details for this application."""
    _check_clerk(application, clerk)
    consent = _consent_of(application)
    max_age = timedelta(seconds=current_app.config["PHONE_CODE_MAX_AGE"])
    if consent is None or consent.code_hash is None or consent.clerk_id != clerk.id:
        raise ConsentError(_("Send a code to the citizen first."))
    if utcnow() - consent.sent_at > max_age or consent.failed_attempts >= MAX_FAILED_ATTEMPTS:
        raise ConsentError(_("This code is no longer valid. Send a new one."))
    if not check_password_hash(consent.code_hash, "".join(code.split())):
        _count_failed_attempt(consent)
        raise ConsentError(_("This code is not right. Ask the citizen to read it again from the message."))
    consent.code_hash = None
    consent.granted_at = utcnow()
    record("counter.consent", "application", application.id, clerk.id, applicant_id=application.applicant_id)
    db.session.flush()


def _count_failed_attempt(consent: CounterConsent) -> None:
    # On a connection of its own: the refused request rolls back, yet a wrong guess must still count.
    with db.engine.begin() as connection:
        connection.execute(
            update(CounterConsent)
            .where(CounterConsent.id == consent.id)
            .values(failed_attempts=CounterConsent.failed_attempts + 1)
        )


def _check_clerk(application: Application, clerk: User) -> None:
    if (
        not clerk.is_staff
        or clerk.id != application.submitter_id
        or not is_counter_filing(application)
        or application.state_enum is not ApplicationState.DRAFT
    ):
        raise NotFound(_("There is no such application in your account."))


def _consent_of(application: Application) -> CounterConsent | None:
    return db.session.scalar(select(CounterConsent).where(CounterConsent.application_id == application.id))


def _destination(citizen: User) -> tuple[Channel, str, str] | None:
    """Where the code goes (phone first: the citizen holds it at the counter), and that address masked."""
    if citizen.phone:
        phone = citizen.phone
        return Channel.SMS, phone, f"SMS {phone[:2]}{'*' * (len(phone) - 4)}{phone[-2:]}"
    if citizen.email:
        name, _at, domain = citizen.email.partition("@")
        return Channel.EMAIL, citizen.email, f"e-mail {name[:1]}***@{domain}"
    return None
