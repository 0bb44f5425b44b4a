"""The province admin's page for the words of each message: edit, check, preview, or go back to ours."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from jinja2 import TemplateError
from sqlalchemy import delete, select

from onestop.accounts.models import Role, User
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.notifications.events import EVENTS, SAMPLE_APPLICATION, Event
from onestop.notifications.models import Channel, NotificationTemplate
from onestop.notifications.render import (
    LANGUAGES,
    SUBJECT_CHANNELS,
    Rendered,
    SmsCost,
    TemplateProblem,
    Wording,
    check_template,
    render,
    sms_cost,
    wording,
)

CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.INBOX, Channel.OTT)


class TemplateInvalid(InvalidInput):
    def __init__(self, problems: dict[str, list[TemplateProblem]]):
        super().__init__(_("The template has problems; see each field."))
        self.problems = problems


@dataclass(frozen=True)
class Preview:
    language: str
    rendered: Rendered
    cost: SmsCost | None


def may_word_messages(actor: User) -> bool:
    return actor.role_enum is Role.PROVINCE_ADMIN and actor.province_id is not None


def _require_admin(actor: User) -> None:
    if not may_word_messages(actor):
        raise NotAllowed(_("Only the province's administrator may change the words of messages."))


def find(event: str, channel: str, language: str) -> tuple[Event, Channel, str]:
    declared = EVENTS.get(event)
    if declared is None or channel not in {c.value for c in CHANNELS} or language not in LANGUAGES:
        raise NotFound(_("There is no such message template."))
    return declared, Channel(channel), language


def overridden(actor: User) -> set[tuple[str, str, str]]:
    """Which (event, channel, language) the province has worded itself: the list marks them."""
    _require_admin(actor)
    rows = db.session.execute(
        select(NotificationTemplate.event, NotificationTemplate.channel, NotificationTemplate.language).where(
            NotificationTemplate.province_id == actor.province_id
        )
    )
    return {tuple(row) for row in rows}


def current(actor: User, event: str, channel: str, language: str) -> Wording:
    _require_admin(actor)
    _declared, channel_enum, language = find(event, channel, language)
    return wording(event, channel_enum, language, actor.province_id)


def check(event: Event, channel: Channel, subject: str, body: str) -> dict[str, list[TemplateProblem]]:
    problems = {"body": check_template(event, body)}
    if not body.strip():
        problems["body"].append(TemplateProblem(1, _("Write the text of the message.")))
    if channel in SUBJECT_CHANNELS:
        problems["subject"] = check_template(event, subject)
        if not subject.strip():
            problems["subject"].append(TemplateProblem(1, _("Write a subject.")))
    problems = {name: found for name, found in problems.items() if found}
    if not problems:
        # Filled against the sample in both languages: what the sandbox refuses only at run time shows here.
        for language in LANGUAGES:
            try:
                render(
                    event.name,
                    channel,
                    language,
                    {**SAMPLE_APPLICATION, **event.sample},
                    Wording(subject, body, is_default=False),
                    strict=True,
                )
            except (TemplateError, TypeError, ValueError) as exc:
                message = _("This template cannot be filled in: %(detail)s", detail=exc)
                return {"body": [TemplateProblem(1, message)]}
    return problems


def preview(event: Event, channel: Channel, language: str, subject: str, body: str, unaccented: bool) -> Preview:
    """The message as its recipient would get it, filled from a made-up application."""
    facts = {**SAMPLE_APPLICATION, **event.sample}
    chosen = Wording(subject, body, unaccented, is_default=False)
    try:
        rendered = render(event.name, channel, language, facts, chosen, strict=True)
    except (TemplateError, TypeError, ValueError) as exc:
        rendered = Rendered("", _("This template cannot be filled in: %(detail)s", detail=exc))
    cost = sms_cost(rendered.body) if channel in (Channel.SMS, Channel.OTT) else None
    return Preview(language, rendered, cost)


def save(actor: User, event: str, channel: str, language: str, subject: str, body: str, unaccented: bool) -> None:
    _require_admin(actor)
    declared, channel_enum, language = find(event, channel, language)
    problems = check(declared, channel_enum, subject, body)
    if problems:
        raise TemplateInvalid(problems)
    row = db.session.scalar(
        select(NotificationTemplate).where(
            NotificationTemplate.province_id == actor.province_id,
            NotificationTemplate.event == event,
            NotificationTemplate.channel == channel_enum.value,
            NotificationTemplate.language == language,
        )
    ) or NotificationTemplate(province_id=actor.province_id, event=event, channel=channel_enum.value, language=language)
    row.subject = subject.strip() if channel_enum in SUBJECT_CHANNELS else ""
    row.body = body
    row.unaccented = bool(unaccented) and channel_enum in (Channel.SMS, Channel.OTT)
    row.source = "admin"
    row.updated_by_id = actor.id
    db.session.add(row)
    db.session.flush()


def reset(actor: User, event: str, channel: str, language: str) -> None:
    """Back to the wording onestop ships (or the pack's, at the next pack load)."""
    _require_admin(actor)
    _declared, channel_enum, language = find(event, channel, language)
    db.session.execute(
        delete(NotificationTemplate).where(
            NotificationTemplate.province_id == actor.province_id,
            NotificationTemplate.event == event,
            NotificationTemplate.channel == channel_enum.value,
            NotificationTemplate.language == language,
        )
    )
