"""The daily digest for staff who asked for one: their day's notices in one e-mail, not one each.

Critical news never waits for it (notify sends that at once). Run by Celery beat (`DIGEST_UTC`) and
safe to run twice: a notice leaves the digest queue in the same transaction as its e-mail is written.
"""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import select, update

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.links import public_link
from onestop.notifications.models import Channel, Notice
from onestop.notifications.notify import province_of
from onestop.notifications.outbox import queue_message
from onestop.notifications.preferences import choices_of
from onestop.notifications.render import render

MAX_LISTED = 50


def send_digests() -> int:
    """Write one digest e-mail per person with notices waiting; returns how many were written."""
    user_ids = db.session.scalars(select(Notice.user_id).where(Notice.awaits_digest.is_(True)).distinct()).all()
    written = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        waiting = list(
            db.session.scalars(
                select(Notice).where(Notice.user_id == user_id, Notice.awaits_digest.is_(True)).order_by(Notice.id)
            )
        )
        choices = choices_of(user) if user is not None and user.is_active else None
        address = choices.reach().addresses.get(Channel.EMAIL) if choices is not None else None
        if address and waiting:
            language = choices.language
            facts = {
                "count": len(waiting),
                "notices": [{"title": notice.title} for notice in waiting[:MAX_LISTED]],
                "inbox_link": public_link("notifications.inbox_page"),
                "recipient_name": user.full_name,
                "province": "",
            }
            province = province_of(user)
            message = render("staff_digest", Channel.EMAIL, language, facts, province_id=province and province.id)
            queue_message(
                Channel.EMAIL,
                address,
                message.body,
                subject=message.subject,
                user_id=user.id,
                event="staff_digest",
                language=language,
            )
            written += 1
        db.session.execute(
            update(Notice).where(Notice.id.in_([notice.id for notice in waiting])).values(awaits_digest=False)
        )
    db.session.commit()
    return written


@shared_task
def send_digests_task() -> int:
    return send_digests()
