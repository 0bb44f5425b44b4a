"""A pack's own wording of messages: `notifications.yaml`, checked like the admin's page checks it.

    messages:
      - event: application_accepted
        channel: sms            # email, sms, inbox or ott
        language: vi
        body: "Ho so {{ code }} da duoc tiep nhan, hen tra {{ due_on | day }}."
        unaccented: true        # SMS only: send without diacritics

Each problem names the file and the line, as every other pack problem does.
"""

from __future__ import annotations

from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.extensions import db
from onestop.notifications.events import EVENTS
from onestop.notifications.models import Channel, NotificationTemplate
from onestop.notifications.render import SUBJECT_CHANNELS, check_template
from onestop.provinces.pack_schema import Problem, Strict

FILE = "notifications.yaml"


class MessageEntry(Strict):
    event: str
    channel: Literal["email", "sms", "inbox", "ott"]
    language: Literal["vi", "en"]
    subject: str = ""
    body: str
    unaccented: bool = False


class MessagesFile(Strict):
    messages: list[MessageEntry] = []


def check_messages(messages: MessagesFile, lines, problems: list[Problem]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for index, entry in enumerate(messages.messages):
        event = EVENTS.get(entry.event)
        if event is None:
            line = lines.line_for(("messages", index, "event"))
            known = ", ".join(sorted(EVENTS))
            problems.append(
                Problem(
                    FILE, line, _("There is no event “%(name)s”. Events: %(known)s.", name=entry.event, known=known)
                )
            )
            continue
        key = (entry.event, entry.channel, entry.language)
        if key in seen:
            line = lines.line_for(("messages", index))
            problems.append(Problem(FILE, line, _("This message is worded twice here; keep one.")))
        seen.add(key)
        texts = [("body", entry.body)]
        if Channel(entry.channel) in SUBJECT_CHANNELS:
            texts.append(("subject", entry.subject))
            if not entry.subject.strip():
                problems.append(Problem(FILE, lines.line_for(("messages", index)), _("Write a subject.")))
        for name, text in texts:
            line = lines.line_for(("messages", index, name))
            # A block (`body: |`) starts on the line after its key; template line 1 is that line.
            offset = 1 if "\n" in text else 0
            for problem in check_template(event, text):
                problems.append(Problem(FILE, line + offset + problem.line - 1, problem.message))


def apply_messages(province_id: int, messages: MessagesFile) -> bool:
    """The pack's wording replaces the previous pack's; an admin's later edit on the page is kept.

    Loading the same pack again changes no row; answers whether anything changed."""
    rows = {
        (row.event, row.channel, row.language): row
        for row in db.session.scalars(
            select(NotificationTemplate).where(NotificationTemplate.province_id == province_id)
        )
    }
    changed = False
    wanted = set()
    for entry in messages.messages:
        key = (entry.event, entry.channel, entry.language)
        wanted.add(key)
        row = rows.get(key)
        if row is not None and row.source != "pack":
            continue  # edited on the admin's page since: the admin's words stay
        values = {
            "subject": entry.subject if Channel(entry.channel) in SUBJECT_CHANNELS else "",
            "body": entry.body,
            "unaccented": entry.unaccented and entry.channel in ("sms", "ott"),
        }
        if row is None:
            row = NotificationTemplate(
                province_id=province_id,
                event=entry.event,
                channel=entry.channel,
                language=entry.language,
                source="pack",
            )
            db.session.add(row)
        if any(getattr(row, name, None) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed = True
    for key, row in rows.items():
        if row.source == "pack" and key not in wanted:
            db.session.delete(row)
            changed = True
    db.session.flush()
    return changed
