"""The daily deadline reminder: each agency's leaders hear, in one e-mail, which files are overdue or due
by the next working day, so that an apology slip goes out before the date passes, not after.

Run by Celery beat (`DEADLINE_REMINDER_UTC`, 00:30 UTC = 07:30 in Vietnam) and by
`flask --app wsgi office remind`. Running it again the same day sends nothing twice: a leader who
already has today's reminder in the outbox is skipped.
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.notifications.models import Channel, OutboxMessage
from onestop.notifications.outbox import queue_message
from onestop.procedures.calendar import ProvinceCalendar
from onestop.procedures.clock import RUNNING_STATES, local_today
from onestop.procedures.models import Application
from onestop.provinces.models import Agency, Province


def _due_soon(agency: Agency, horizon: date) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(
                Application.receiving_agency_id == agency.id,
                Application.state.in_([str(state) for state in RUNNING_STATES]),
                Application.due_on <= horizon,
            )
            .order_by(Application.due_on, Application.id)
            .options(joinedload(Application.procedure), joinedload(Application.holder))
        ).unique()
    )


def _subject(agency: Agency, today: date) -> str:
    return _("Files due or overdue at %(agency)s on %(day)s", agency=agency.display_name(), day=f"{today:%d/%m/%Y}")


def remind_deadlines() -> int:
    """Queue today's reminders; returns how many e-mails were queued."""
    sent = 0
    for province in db.session.scalars(select(Province)):
        calendar = ProvinceCalendar.for_province(province)
        today = local_today(calendar)
        horizon = calendar.next_working_day(today)
        for agency in db.session.scalars(
            select(Agency).where(Agency.province_id == province.id, Agency.is_active.is_(True))
        ):
            files = _due_soon(agency, horizon)
            if not files:
                continue
            leaders = db.session.scalars(
                select(User).where(
                    User.agency_id == agency.id,
                    User.role == Role.LEADER,
                    User.is_active.is_(True),
                    User.email.is_not(None),
                )
            ).all()
            with force_locale("vi"):
                subject = _subject(agency, today)
                lines = [
                    _(
                        "%(code)s · %(procedure)s · due %(due)s · %(status)s · %(holder)s",
                        code=application.code,
                        procedure=application.procedure.display_name(),
                        due=f"{application.due_on:%d/%m/%Y}",
                        status=_("OVERDUE") if application.due_on < today else _("due soon"),
                        holder=application.holder.full_name if application.holder else _("not assigned"),
                    )
                    for application in files
                ]
                body = (
                    _(
                        "%(count)d files of %(agency)s are overdue or due by %(horizon)s. For each one that will "
                        "be late, issue an apology slip with a new date before the due date.",
                        count=len(files),
                        agency=agency.display_name(),
                        horizon=f"{horizon:%d/%m/%Y}",
                    )
                    + "\n\n"
                    + "\n".join(lines)
                )
            for leader in leaders:
                already = db.session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.recipient == leader.email, OutboxMessage.subject == subject
                    )
                )
                if already is None:
                    queue_message(Channel.EMAIL, leader.email, body, subject=subject, user_id=leader.id)
                    sent += 1
    db.session.commit()
    return sent
