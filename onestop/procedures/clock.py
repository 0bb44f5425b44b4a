"""An application's clock: the due date derived from its clock entries and the province calendar.

The clock is a log, not a flag (DESIGN.md): acceptance starts it with the procedure's working days; a
supplement request during processing stops it; the complete file received again starts it afresh
(the processing time counts again from that day); an apology slip extends it to a new date. The due
date, the trace shown to staff and citizens and the overdue flag all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from onestop.i18n import current_language
from onestop.models import utcnow
from onestop.procedures.calendar import DueDate, ProvinceCalendar, StepKind, TraceStep
from onestop.procedures.models import RUNNING_STATES, Application, ClockKind


@dataclass(frozen=True)
class ClockLine:
    """One line of the trace: when, what, and the detail staff need to check it by hand."""

    at: datetime | None
    text: str
    detail: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    due_on: date | None
    running: bool
    lines: list[ClockLine]
    last_start: DueDate | None


def calendar_for(application: Application) -> ProvinceCalendar:
    return ProvinceCalendar.for_province(application.receiving_agency.province)


def same_day_cutoff(application: Application) -> str | None:
    """The procedure's own same-day cut-off ("nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo"), if it has one."""
    return (application.definition.get("processing_time") or {}).get("same_day_cutoff")


def compute(application: Application, calendar: ProvinceCalendar) -> Clock:
    due_on: date | None = None
    running = False
    last_start: DueDate | None = None
    lines: list[ClockLine] = []
    for entry in application.clock:
        if entry.kind == ClockKind.START:
            last_start = calendar.due_date(entry.at, entry.working_days or 0, cutoff=same_day_cutoff(application))
            due_on = last_start.day
            running = True
            text = (
                _(
                    "Complete file received: %(days)d working days counted from %(received)s, due %(due)s.",
                    days=entry.working_days or 0,
                    received=f"{last_start.received:%d/%m/%Y}",
                    due=f"{due_on:%d/%m/%Y}",
                )
                if lines
                else _(
                    "Accepted: %(days)d working days counted from %(received)s, due %(due)s.",
                    days=entry.working_days or 0,
                    received=f"{last_start.received:%d/%m/%Y}",
                    due=f"{due_on:%d/%m/%Y}",
                )
            )
            lines.append(ClockLine(entry.at, text, [describe(step, calendar) for step in last_start.trace]))
        elif entry.kind == ClockKind.SUSPEND:
            running = False
            due_on = None  # nothing is due while the clock is stopped; it counts again from the complete file
            lines.append(ClockLine(entry.at, _("Clock stopped: %(reason)s", reason=entry.reason)))
        elif entry.kind == ClockKind.EXTEND:
            due_on = entry.due_on
            lines.append(
                ClockLine(
                    entry.at,
                    _("New appointment date %(due)s: %(reason)s", due=f"{entry.due_on:%d/%m/%Y}", reason=entry.reason),
                )
            )
    if application.state_enum not in RUNNING_STATES:
        running = False
    return Clock(due_on=due_on, running=running, lines=lines, last_start=last_start)


WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))


def describe(step: TraceStep, calendar: ProvinceCalendar) -> str:
    """One line of a due date's trace in the reader's language (the record keeps `str(step)`, in Vietnamese)."""
    weekday = str(WEEKDAYS[step.day.weekday()])
    label = f"{weekday} {step.day:%d/%m/%Y}"
    match step.kind:
        case StepKind.ACCEPTED:
            return _("%(day)s: file accepted (at %(time)s)", day=label, time=f"{step.at:%H:%M}")
        case StepKind.AFTER_CUTOFF:
            return _(
                "%(day)s: accepted after %(time)s, counts as received on the next working day",
                day=label,
                time=f"{step.at:%H:%M}",
            )
        case StepKind.RECEIVED:
            return _("%(day)s: day of receipt, not counted in the time limit", day=label)
        case StepKind.COUNTED:
            return _("%(day)s: working day %(number)d", day=label, number=step.number)
    reason = calendar.day_off_name(step.day, current_language()) or _("%(weekday)s (weekend)", weekday=weekday)
    return _("%(day)s: not counted — %(reason)s", day=label, reason=reason)


def working_days_between(calendar: ProvinceCalendar, start: date, end: date) -> int:
    """Working days d with start < d <= end (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


@dataclass(frozen=True)
class Countdown:
    """'N working days left', 'due today' or 'N working days overdue', for the application's list rows."""

    days_left: int
    overdue_days: int

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    def __str__(self) -> str:
        if self.overdue_days:
            return _("%(days)d working days overdue", days=self.overdue_days)
        if self.days_left == 0:
            return _("Due today")
        return _("%(days)d working days left", days=self.days_left)


def countdown(application: Application, calendar: ProvinceCalendar, now: datetime | None = None) -> Countdown | None:
    if application.due_on is None or application.state_enum not in RUNNING_STATES:
        return None
    return countdown_to(application.due_on, calendar, calendar.local(now or utcnow()).date())


def countdown_to(due_on: date, calendar: ProvinceCalendar, today: date) -> Countdown:
    """Working days left until `due_on` (or overdue since), seen from `today`: for a file or one of its steps."""
    if today > due_on:
        return Countdown(0, max(1, working_days_between(calendar, due_on, today)))
    return Countdown(working_days_between(calendar, today, due_on), 0)


def local_today(calendar: ProvinceCalendar, now: datetime | None = None) -> date:
    return calendar.local(now or utcnow()).date()
