"""The daily deadline reminder: each agency's leaders hear in one message which files are overdue or due
by the next working day, and each officer holding one of them hears about that file, so that an
apology slip goes out before the date passes, not after.

Run by Celery beat (`DEADLINE_REMINDER_UTC`, 00:30 UTC = 07:30 in Vietnam) and by
`flask --app wsgi office remind`. Running it again the same day tells no one twice: a person who
already has today's notice is skipped.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.notifications.models import Notice
from onestop.notifications.notify import agency_staff, notify
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


REMINDER_EVENTS = ("staff_deadline_summary", "staff_overdue", "staff_due_tomorrow")


def _told_since(since: datetime) -> set[tuple]:
    """Who already has which of today's reminders: (person, event) and (person, event, file), in one read."""
    told: set[tuple] = set()
    rows = db.session.execute(
        select(Notice.user_id, Notice.event, Notice.application_id).where(
            Notice.event.in_(REMINDER_EVENTS), Notice.created_at >= since
        )
    )
    for user_id, event, application_id in rows:
        told.add((user_id, event))
        told.add((user_id, event, application_id))
    return told


def remind_deadlines() -> int:
    """Tell today's reminders; returns how many people were told (a leader's summary counts once)."""
    told = 0
    for province in db.session.scalars(select(Province)):
        calendar = ProvinceCalendar.for_province(province)
        today = local_today(calendar)
        horizon = calendar.next_working_day(today)
        since = datetime.combine(today, time.min, tzinfo=calendar.timezone)
        already = _told_since(since)
        for agency in db.session.scalars(
            select(Agency).where(Agency.province_id == province.id, Agency.is_active.is_(True))
        ):
            files = _due_soon(agency, horizon)
            if not files:
                continue
            for leader in agency_staff(agency.id, (Role.LEADER,)):
                if (leader.id, "staff_deadline_summary") not in already:
                    summary = [_line(application, today) for application in files]
                    facts = {"agency_name": agency.name, "day": today, "horizon": horizon, "files": summary}
                    notify(leader, "staff_deadline_summary", facts)
                    told += 1
            for application in files:
                holder = application.holder
                event = "staff_overdue" if application.due_on < today else "staff_due_tomorrow"
                if holder is not None and holder.is_active and (holder.id, event, application.id) not in already:
                    notify(holder, event, {"due_on": application.due_on}, application=application)
                    told += 1
    db.session.commit()
    return told


def _line(application: Application, today: date) -> dict:
    return {
        "code": application.code,
        "procedure": application.procedure.name,
        "due_on": application.due_on,
        "is_overdue": application.due_on < today,
        "holder": application.holder.full_name if application.holder else "",
    }
