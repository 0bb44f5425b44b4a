"""The one entry point: `notify(recipient, event, facts)`.

Called inside the transaction of the change it announces. It renders the event once per channel in
the recipient's own language, writes the portal notice and one outbox row per outside channel, and
hands the rows to a worker after commit (outbox.queue_message). Nothing here talks to a server, so a
channel that is down delays a message but never blocks a state change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.links import public_link
from onestop.notifications.events import Audience, event_named
from onestop.notifications.models import Channel, Notice
from onestop.notifications.outbox import queue_message
from onestop.notifications.preferences import choices_of
from onestop.notifications.render import Wordings, day_text, render


def application_facts(application, audience: Audience) -> dict:
    """What every message about a file carries: its code, procedure and agency (in both languages), a link."""
    from onestop.procedures.models import Procedure
    from onestop.provinces.models import Agency

    procedure = db.session.get(Procedure, application.procedure_id)
    agency = db.session.get(Agency, application.receiving_agency_id)
    endpoint = "office.application" if audience is Audience.STAFF else "filing.timeline"
    return {
        "code": application.code or "",
        "procedure": procedure.name if procedure else "",
        "agency": agency.name if agency else "",
        "link": public_link(endpoint, application_id=application.id),
    }


def province_of(user: User, application=None):
    """Whose wording a message takes: the province of the file's agency, else the person's, else the one served."""
    from onestop.provinces.models import Agency, Province

    province_id = None
    if application is not None:
        province_id = db.session.scalar(select(Agency.province_id).where(Agency.id == application.receiving_agency_id))
    province_id = province_id or user.province_id
    if province_id:
        return db.session.get(Province, province_id)
    return db.session.scalar(select(Province).order_by(Province.id).limit(1))


def notify(recipient: User, event: str, facts: dict | None = None, *, application=None) -> Notice | None:
    """Tell one person about one event on every channel that should carry it; answer the inbox notice."""
    declared = event_named(event)
    if recipient is None or not recipient.is_active:
        return None
    unknown = set(facts or {}) - declared.allowed_fields
    if unknown:
        raise ValueError(f"event {event!r} does not declare {sorted(unknown)}")
    context = dict(facts or {})
    if application is not None and declared.about_application:
        context = {**application_facts(application, declared.audience), **context}
    province = province_of(recipient, application)
    province_id = province.id if province is not None else None
    context.setdefault("recipient_name", recipient.full_name)
    context.setdefault("province", province.name if province is not None else "")
    choices = choices_of(recipient)
    language = choices.language
    application_id = application.id if application is not None else None

    words = Wordings([event], language, [province_id])
    inbox = render(event, Channel.INBOX, language, context, words(event, Channel.INBOX, province_id))
    digest = choices.wants_digest and not declared.critical
    notice = Notice(
        user_id=recipient.id,
        event=event,
        title=inbox.subject[:300],
        body=inbox.body,
        application_id=application_id,
        link=_inbox_link(application, declared.audience),
        facts=_storable(context),
        province_id=province_id,
        awaits_digest=digest,
    )
    db.session.add(notice)
    if digest:
        db.session.flush()
        return notice
    channels, addresses = choices.channels_for(declared)
    for channel in channels:
        message = render(event, channel, language, context, words(event, channel, province_id))
        queue_message(
            channel,
            addresses[channel],
            message.body,
            subject=message.subject,
            user_id=recipient.id,
            event=event,
            language=language,
            application_id=application_id,
        )
    db.session.flush()
    return notice


def _storable(value):
    """Facts as JSON: days become the text people read (the `day` filter passes text through)."""
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    if isinstance(value, datetime | date):
        return day_text(value)
    return value


def _inbox_link(application, audience: Audience) -> str:
    """The notice's link within the portal (a path), in a request or in a worker alike."""
    if application is None:
        return ""
    endpoint = "office.application" if audience is Audience.STAFF else "filing.timeline"
    return urlsplit(public_link(endpoint, application_id=application.id)).path


def notify_applicant(application, event: str, **facts) -> None:
    """Tell the applicant, and whoever filed for them, once each."""
    for user_id in dict.fromkeys((application.applicant_id, application.submitter_id)):
        user = db.session.get(User, user_id) if user_id else None
        if user is not None and not user.is_staff:
            notify(user, event, facts, application=application)


def notify_staff(users: Iterable[User], event: str, application, **facts) -> None:
    for user in dict.fromkeys(users):
        if user is not None and user.is_staff:
            notify(user, event, facts, application=application)


def agency_staff(agency_id: int, roles: Iterable[Role]) -> list[User]:
    """The active staff of an agency with one of these roles: who hears of a new file in its queue."""
    return list(
        db.session.scalars(
            select(User).where(
                User.agency_id == agency_id,
                User.role.in_([role.value for role in roles]),
                User.is_active.is_(True),
            )
        )
    )
