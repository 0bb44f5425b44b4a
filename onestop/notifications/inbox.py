"""The portal inbox: a signed-in person's notices, newest first, read when opened."""

from __future__ import annotations

from contextlib import suppress

from flask_babel import gettext as _
from jinja2 import TemplateError
from sqlalchemy import func, select, update

from onestop.accounts.models import User
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.models import Channel, Notice
from onestop.notifications.render import Rendered, Wordings, render

PAGE_SIZE = 30


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    )


def notices_of(user: User, before_id: int | None = None) -> list[Notice]:
    """One page of the inbox (keyset on id); ask for the next with the last id shown."""
    query = select(Notice).where(Notice.user_id == user.id)
    if before_id:
        query = query.where(Notice.id < before_id)
    return list(db.session.scalars(query.order_by(Notice.id.desc()).limit(PAGE_SIZE)))


def worded(notices: list[Notice], language: str) -> list[Rendered]:
    """Each notice in the reader's language of today, from its facts (the province's wordings read once for
    the page); as it was sent where that fails."""
    words = Wordings({notice.event for notice in notices}, language, {notice.province_id for notice in notices})
    shown = []
    for notice in notices:
        rendered = Rendered(notice.title, notice.body)
        if notice.facts:
            chosen = words(notice.event, Channel.INBOX, notice.province_id)
            with suppress(TemplateError, TypeError, ValueError, KeyError):
                rendered = render(notice.event, Channel.INBOX, language, notice.facts, chosen)
        shown.append(rendered)
    return shown


def open_notice(user: User, notice_id: int) -> Notice:
    """The notice, now read; only its owner may open it (anyone else is told it does not exist)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound(_("There is no such notice in your inbox."))
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
    return notice


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    return result.rowcount
