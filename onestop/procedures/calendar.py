"""A province's working-day calendar and the due-date arithmetic built on it.

Why this exists: every time limit on a procedure sheet is stated in *working days from receipt of a
complete, valid dossier* ("07 ngày làm việc kể từ ngày nhận được hồ sơ đầy đủ và hợp lệ"), so a due date
depends on weekends, public holidays, the yearly swaps (a weekday off bought by working a Saturday) and
the province's own corrections. The rules (see `shared/domain/calendar.md`):

- Working week: Monday to Friday; Saturday and Sunday are off (Decision 188/1999/QĐ-TTg).
- National holidays, make-up days (Labour Code 2019, Art 111(3), 112) and swaps come from the
  `holidays` package (`country_holidays("VN")`), including its `weekend_workdays` (worked Saturdays).
- The province's `CalendarDay` rows win over the package in both directions: a `holiday` or `day_off`
  makes a day non-working, a `working_day` makes a day working (a swapped Saturday, or a package guess
  the province's notice contradicts).
- Civil Code 2015, Art 147: the day of the triggering event is not counted, so the acceptance day is
  not counted; Art 148: a limit ending on a day off ends on the next working day, which counting
  working days gives for free.
- Same-day procedures ("ngay trong ngày; nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo") are
  due on the day received; a filing after the province's cut-off time or on a day off counts as
  received on the next working day.

The module is pure: no Flask request context, no clock of its own (callers pass the moment). The
reasons it gives are plain Vietnamese literals, not Flask-Babel strings, because they are part of the
record kept with the file and this module must run outside a request; holiday names come from the
package in Vietnamese, the province's entries from their Vietnamese name. Pages render the same trace
in the reader's language (onestop/procedures/clock.py `describe`), asking `day_off_name` for a named
day's name in that language (the package's English names, the province's `en` text).

A procedure may have its own same-day cut-off (`due_date(..., cutoff=...)`); route steps with a
budget in working hours count office time with `add_working_hours`. Suspensions are the
application clock's business (onestop/procedures/clock.py): it restarts the count from the log.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select

from onestop.extensions import db
from onestop.provinces.models import CalendarDay, DayKind, Province

WEEKEND = frozenset({5, 6})  # Saturday, Sunday — Decision 188/1999/QĐ-TTg
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKEND_REASON = "{weekday} (nghỉ cuối tuần)"
# Office hours of a province that declares none (shared/domain/calendar.md: e.g. 7:30–11:30, 13:30–17:00).
DEFAULT_WORKING_HOURS = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
# No real calendar has this many non-working days in a row; hitting it means broken calendar data.
_MAX_DAYS_OFF_IN_A_ROW = 60


def weekday_name(day: date) -> str:
    """The Vietnamese weekday name, e.g. "Thứ Bảy", "Chủ nhật"."""
    return WEEKDAY_NAMES[day.weekday()]


def _parse_time(value: str | time) -> time:
    if isinstance(value, time):
        return value
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class NationalYear:
    """One year of the national calendar: holiday names (Vietnamese) and weekend days worked instead.

    `english` holds the same holidays' English names, where known.
    """

    holidays: Mapping[date, str]
    worked_weekend_days: frozenset[date]
    english: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))


@lru_cache(maxsize=64)
def national_year(year: int) -> NationalYear:
    """The `holidays` package's Vietnamese calendar for one year, cached (it never changes at run time).

    Built per year so that a calendar only pays for the years it is asked about; only this year's
    `weekend_workdays` are kept, as the package also lists swaps that cross into neighbouring years.
    """
    package = holidays.country_holidays("VN", years=year, language="vi")
    names = {day: package.get(day) for day in sorted(package)}  # several names on one day come joined by "; "
    worked = frozenset(day for day in package.weekend_workdays if day.year == year)
    english = holidays.country_holidays("VN", years=year, language="en_US")
    return NationalYear(MappingProxyType(names), worked, MappingProxyType({day: english.get(day) for day in english}))


@dataclass(frozen=True)
class CalendarOverride:
    """A province's correction of one day, as stored in a `CalendarDay` row."""

    day: date
    kind: DayKind
    name: Mapping[str, str] | str
    source: str = ""

    @property
    def vietnamese_name(self) -> str:
        return self.name_in("vi")

    def name_in(self, lang: str) -> str:
        """The name in `lang`, else in Vietnamese (a plain string is Vietnamese)."""
        if isinstance(self.name, str):
            return self.name
        return self.name.get(lang) or self.name.get("vi") or next(iter(self.name.values()), "")


class StepKind(enum.StrEnum):
    ACCEPTED = "accepted"  # the moment the dossier was accepted (local day)
    AFTER_CUTOFF = "after_cutoff"  # accepted after the cut-off: the day does not count as receipt day
    RECEIVED = "received"  # the day counted as receipt; counting starts the next day (Art 147)
    COUNTED = "counted"  # a working day counted towards the limit, with its number
    SKIPPED = "skipped"  # a non-working day passed over, with its reason


@dataclass(frozen=True)
class TraceStep:
    """One line of the explanation of a due date; `str()` is its Vietnamese record wording."""

    day: date
    kind: StepKind
    number: int | None = None  # for COUNTED: 1..N
    reason: str | None = None  # for SKIPPED / AFTER_CUTOFF / ACCEPTED: why, in Vietnamese
    at: time | None = None  # for ACCEPTED: the local time; for AFTER_CUTOFF: the cut-off passed

    def __str__(self) -> str:
        label = f"{weekday_name(self.day)} {self.day:%d/%m/%Y}"
        match self.kind:
            case StepKind.ACCEPTED:
                return f"{label}: tiếp nhận hồ sơ ({self.reason})"
            case StepKind.AFTER_CUTOFF:
                return f"{label}: {self.reason}"
            case StepKind.RECEIVED:
                return f"{label}: ngày nhận hồ sơ, không tính vào thời hạn"
            case StepKind.COUNTED:
                return f"{label}: ngày làm việc thứ {self.number}"
            case StepKind.SKIPPED:
                return f"{label}: không tính — {self.reason}"
        return label  # pragma: no cover


@dataclass(frozen=True)
class DueDate:
    """A due date with the steps that produced it, so staff and citizens can check it by hand."""

    day: date
    received: date
    working_days: int
    trace: list[TraceStep] = field(default_factory=list)

    @property
    def counted(self) -> list[date]:
        return [step.day for step in self.trace if step.kind is StepKind.COUNTED]

    @property
    def skipped(self) -> dict[date, str]:
        return {step.day: step.reason or "" for step in self.trace if step.kind is StepKind.SKIPPED}

    def explain(self) -> list[str]:
        return [str(step) for step in self.trace]


class ProvinceCalendar:
    """Which days a province works, and when a dossier is received and due.

    Build it with `for_province(province)` in the application, or directly from plain values in tests
    and tools. National years are loaded lazily, the first time a day of that year is asked about.
    """

    def __init__(
        self,
        *,
        timezone: str = "Asia/Ho_Chi_Minh",
        cutoff_time: str | time = "15:00",
        working_hours: Iterable[Mapping[str, str]] = (),
        overrides: Iterable[CalendarOverride] = (),
        national: Callable[[int], NationalYear] = national_year,
    ) -> None:
        self.timezone = ZoneInfo(timezone)
        self.cutoff_time = _parse_time(cutoff_time)
        # Office hours (periods of a working day): step budgets in working hours count within them.
        self.working_hours = (
            tuple((_parse_time(period["start"]), _parse_time(period["end"])) for period in working_hours)
            or DEFAULT_WORKING_HOURS
        )
        self.overrides: dict[date, CalendarOverride] = {}
        for override in overrides:
            self.overrides[override.day] = CalendarOverride(
                override.day, DayKind(override.kind), override.name, override.source
            )
        self._national = national

    @classmethod
    def for_province(cls, province: Province) -> ProvinceCalendar:
        """The province's calendar, with all its `CalendarDay` rows read in one query."""
        rows = db.session.scalars(select(CalendarDay).where(CalendarDay.province_id == province.id))
        return cls(
            timezone=province.timezone or "Asia/Ho_Chi_Minh",
            cutoff_time=province.cutoff_time or "15:00",
            working_hours=province.working_hours or (),
            overrides=[CalendarOverride(row.day, DayKind(row.kind), row.name, row.source) for row in rows],
        )

    # --- days ------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return self.why_not_working(day) is None

    def why_not_working(self, day: date) -> str | None:
        """None on a working day, else a plain Vietnamese reason.

        Precedence: the province's entry (it answers to the latest notice), then the package's holiday
        or swapped day off, then the weekend unless the package lists the day as a worked Saturday.
        """
        override = self.overrides.get(day)
        if override is not None:
            return None if override.kind is DayKind.WORKING_DAY else override.vietnamese_name
        national = self._national(day.year)
        if day in national.holidays:
            return national.holidays[day]
        if day.weekday() in WEEKEND and day not in national.worked_weekend_days:
            return WEEKEND_REASON.format(weekday=weekday_name(day))
        return None

    def day_off_name(self, day: date, lang: str = "vi") -> str | None:
        """The name of a holiday or day off on `day` in `lang` (Vietnamese where no other is known), else None.

        The weekend has no name: whoever renders a trace words it in their own language.
        """
        override = self.overrides.get(day)
        if override is not None:
            return None if override.kind is DayKind.WORKING_DAY else override.name_in(lang)
        national = self._national(day.year)
        if day not in national.holidays:
            return None
        return (national.english.get(day) if lang == "en" else None) or national.holidays[day]

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self._next_working(day, [])

    # --- receipt and due dates -------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """`moment` in the province's time zone; refuses naive datetimes, which would be ambiguous."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("moment must be timezone-aware (UTC)")
        return moment.astimezone(self.timezone)

    def received_on(self, moment: datetime) -> date:
        """The working day a dossier accepted at `moment` counts as received.

        The local day itself if it is a working day and the time is not after the cut-off; otherwise
        the next working day (same-day procedures: "nhận sau 15 giờ thì trả trong ngày làm việc tiếp
        theo"; online filings outside office hours count as received the next working day). A filing
        before opening time on a working day is received that same day.
        """
        return self._receive(moment, [], self.cutoff_time)

    def end_of_day(self, day: date) -> datetime:
        """The close of office on `day`, as a UTC-aware moment: a step due that day is late after it."""
        return datetime.combine(day, self.working_hours[-1][1], tzinfo=self.timezone).astimezone(UTC)

    def add_working_hours(self, start: datetime, hours: int) -> datetime:
        """The moment `hours` hours of office time after `start`, skipping nights and days off."""
        local = self.local(start)
        remaining = timedelta(hours=hours)
        day = local.date()
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW * 8):
            if self.is_working_day(day):
                for opens, closes in self.working_hours:
                    begin = max(datetime.combine(day, opens, tzinfo=self.timezone), local)
                    end = datetime.combine(day, closes, tzinfo=self.timezone)
                    if begin >= end:
                        continue
                    if begin + remaining <= end:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= end - begin
            day += timedelta(days=1)
        raise ValueError(f"no working hours found after {start}: check the calendar")

    def due_date(self, accepted_at: datetime, working_days: int, *, cutoff: str | time | None = None) -> DueDate:
        """The day a result is due, `working_days` working days after receipt, with its trace.

        The receipt day is not counted (Civil Code Art 147), then N working days are counted; the due
        day is the N-th. N == 0 (same-day procedures) means due on the receipt day itself, which is
        already the next working day when the dossier came in after the cut-off or on a day off.
        """
        if working_days < 0:
            raise ValueError("working_days must not be negative")
        trace: list[TraceStep] = []
        received = self._receive(accepted_at, trace, _parse_time(cutoff) if cutoff else self.cutoff_time)
        day = self._count_forward(received, working_days, trace)
        return DueDate(day=day, received=received, working_days=working_days, trace=trace)

    # --- the walk --------------------------------------------------------------------------------

    def _receive(self, moment: datetime, trace: list[TraceStep], cutoff: time) -> date:
        local = self.local(moment)
        day = local.date()
        trace.append(TraceStep(day, StepKind.ACCEPTED, reason=f"lúc {local:%H:%M}", at=local.time()))
        if local.time() > cutoff:
            reason = f"tiếp nhận sau {cutoff:%H:%M}, tính là nhận vào ngày làm việc tiếp theo"
            if self.is_working_day(day):
                trace.append(TraceStep(day, StepKind.AFTER_CUTOFF, reason=reason, at=cutoff))
            else:
                trace.append(TraceStep(day, StepKind.SKIPPED, reason=self.why_not_working(day)))
            day = self._next_working(day, trace)
        elif not self.is_working_day(day):
            trace.append(TraceStep(day, StepKind.SKIPPED, reason=self.why_not_working(day)))
            day = self._next_working(day, trace)
        trace.append(TraceStep(day, StepKind.RECEIVED))
        return day

    def _next_working(self, day: date, trace: list[TraceStep]) -> date:
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            day += timedelta(days=1)
            reason = self.why_not_working(day)
            if reason is None:
                return day
            trace.append(TraceStep(day, StepKind.SKIPPED, reason=reason))
        raise ValueError(f"no working day within {_MAX_DAYS_OFF_IN_A_ROW} days after {day}: check the calendar")

    def _count_forward(self, received: date, working_days: int, trace: list[TraceStep]) -> date:
        day = received
        for number in range(1, working_days + 1):
            day = self._next_working(day, trace)
            trace.append(TraceStep(day, StepKind.COUNTED, number=number))
        return day
