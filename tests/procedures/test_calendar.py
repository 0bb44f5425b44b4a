"""The province working-day calendar and due dates, pinned to real dates worked out by hand.

Every expected date below is a literal with the count written out: R = the receipt day (not counted,
Civil Code Art 147), 1..N = the working days counted, "-" = a day skipped. The national days come from
`holidays.country_holidays("VN")` 0.108, checked in the shell: 2026 Tết Mon 16 – Fri 20 Feb; Giỗ Tổ
Sun 26 Apr observed Mon 27 Apr; 30 Apr Thu, 1 May Fri; 31 Aug Mon (swap for Sat 22 Aug, worked),
1–2 Sep Tue–Wed; 2027 Tết Thu 4 – Wed 10 Feb (7 days incl. the weekend, 5 weekdays off); 30 Apr Fri,
1 May Sat observed Mon 3 May.
"""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from onestop.extensions import db
from onestop.procedures.calendar import CalendarOverride, ProvinceCalendar, StepKind, national_year
from onestop.provinces.models import DayKind

HANOI = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST: UTC+7 all year


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A local (UTC+7) wall-clock moment, handed to the calendar in UTC as the application stores it."""
    return datetime(year, month, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


@pytest.fixture
def national():
    return ProvinceCalendar()


def due(calendar: ProvinceCalendar, moment: datetime, n: int) -> date:
    return calendar.due_date(moment, n).day


# --- the package itself, as calendar.md describes it ---------------------------------------------


def test_the_package_gives_the_days_the_pins_rely_on():
    y2026, y2027 = national_year(2026), national_year(2027)
    assert [d for d in y2026.holidays if d.month == 2] == [date(2026, 2, d) for d in (16, 17, 18, 19, 20)]
    assert [d for d in y2027.holidays if d.month == 2] == [date(2027, 2, d) for d in range(4, 11)]
    assert y2026.worked_weekend_days == {date(2026, 8, 22)}
    assert y2027.worked_weekend_days == frozenset()
    assert y2026.holidays[date(2026, 8, 31)] == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    assert y2027.holidays[date(2027, 5, 3)] == "Ngày Quốc tế Lao động (nghỉ bù)"


# --- Tết ------------------------------------------------------------------------------------------


def test_tet_2026(national):
    # Accepted Fri 13 Feb 2026 (R). - Sat 14, Sun 15, Mon 16 – Fri 20 (Tết), Sat 21, Sun 22.
    # 1 Mon 23, 2 Tue 24, 3 Wed 25 Feb.
    assert due(national, at(2026, 2, 13), 3) == date(2026, 2, 25)
    # ... 4 Thu 26, 5 Fri 27, - Sat 28, Sun 1 Mar, 6 Mon 2, 7 Tue 3, 8 Wed 4, 9 Thu 5, 10 Fri 6 Mar.
    assert due(national, at(2026, 2, 13), 10) == date(2026, 3, 6)


def test_tet_2027(national):
    # Last working day before Tết: Wed 3 Feb 2027 (R); - Thu 4 (29 Tết) – Wed 10 Feb (Mùng năm).
    # 1 Thu 11, 2 Fri 12, - Sat 13, Sun 14, 3 Mon 15 Feb.
    assert due(national, at(2027, 2, 3), 3) == date(2027, 2, 15)
    # ... 4 Tue 16, 5 Wed 17, 6 Thu 18, 7 Fri 19, - Sat 20, Sun 21, 8 Mon 22, 9 Tue 23, 10 Wed 24 Feb.
    assert due(national, at(2027, 2, 3), 10) == date(2027, 2, 24)


# --- 30/4 – 1/5 ------------------------------------------------------------------------------------


def test_30_april_2026(national):
    # Accepted Fri 24 Apr 2026 (R). - Sat 25, Sun 26 (Giỗ Tổ), Mon 27 (Giỗ Tổ, nghỉ bù).
    # 1 Tue 28, 2 Wed 29, - Thu 30 Apr, Fri 1 May, Sat 2, Sun 3, 3 Mon 4 May.
    assert due(national, at(2026, 4, 24), 3) == date(2026, 5, 4)
    # ... 4 Tue 5, 5 Wed 6, 6 Thu 7, 7 Fri 8, - Sat 9, Sun 10, 8 Mon 11, 9 Tue 12, 10 Wed 13 May.
    assert due(national, at(2026, 4, 24), 10) == date(2026, 5, 13)


def test_30_april_2027(national):
    # Accepted Thu 29 Apr 2027 (R). - Fri 30 Apr, Sat 1 May, Sun 2, Mon 3 (1 May observed).
    # 1 Tue 4, 2 Wed 5, 3 Thu 6 May.
    assert due(national, at(2027, 4, 29), 3) == date(2027, 5, 6)
    # ... 4 Fri 7, - Sat 8, Sun 9, 5 Mon 10, 6 Tue 11, 7 Wed 12, 8 Thu 13, 9 Fri 14, - 15, 16, 10 Mon 17 May.
    assert due(national, at(2027, 4, 29), 10) == date(2027, 5, 17)


# --- 2/9 ---------------------------------------------------------------------------------------------


def test_worked_saturday_before_national_day_2026(national):
    # Accepted Fri 21 Aug 2026 (R). 1 Sat 22 Aug (worked, in exchange for Mon 31 Aug), - Sun 23,
    # 2 Mon 24, 3 Tue 25 Aug.
    assert due(national, at(2026, 8, 21), 3) == date(2026, 8, 25)
    assert national.is_working_day(date(2026, 8, 22))


def test_national_day_2026(national):
    # Accepted Fri 28 Aug 2026 (R). - Sat 29, Sun 30, Mon 31 (swap), Tue 1 Sep, Wed 2 Sep.
    # 1 Thu 3, 2 Fri 4, - Sat 5, Sun 6, 3 Mon 7 Sep.
    assert due(national, at(2026, 8, 28), 3) == date(2026, 9, 7)
    # ... 4 Tue 8, 5 Wed 9, 6 Thu 10, 7 Fri 11, - Sat 12, Sun 13, 8 Mon 14, 9 Tue 15, 10 Wed 16 Sep.
    assert due(national, at(2026, 8, 28), 10) == date(2026, 9, 16)
    assert national.why_not_working(date(2026, 8, 31)) == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    assert national.why_not_working(date(2026, 9, 2)) == "Quốc khánh"


# --- province overrides ------------------------------------------------------------------------------


def test_a_province_working_day_makes_a_saturday_count():
    calendar = ProvinceCalendar(
        overrides=[CalendarOverride(date(2026, 3, 7), DayKind.WORKING_DAY, {"vi": "Làm bù"}, "Thông báo số 1")]
    )
    # Accepted Fri 6 Mar 2026 (R). With the worked Saturday: 1 Sat 7, - Sun 8, 2 Mon 9, 3 Tue 10 Mar.
    assert due(calendar, at(2026, 3, 6), 1) == date(2026, 3, 7)
    assert due(calendar, at(2026, 3, 6), 3) == date(2026, 3, 10)
    # Without it: - Sat 7, Sun 8, 1 Mon 9, 2 Tue 10, 3 Wed 11 Mar.
    assert due(ProvinceCalendar(), at(2026, 3, 6), 3) == date(2026, 3, 11)
    assert calendar.why_not_working(date(2026, 3, 7)) is None


@pytest.mark.parametrize("kind", [DayKind.DAY_OFF, DayKind.HOLIDAY])
def test_a_province_day_off_or_holiday_removes_a_weekday(kind):
    calendar = ProvinceCalendar(overrides=[CalendarOverride(date(2026, 3, 10), kind, {"vi": "Ngày nghỉ của tỉnh"})])
    # Accepted Mon 9 Mar 2026 (R). - Tue 10 (the province's day), 1 Wed 11, 2 Thu 12 Mar.
    assert due(calendar, at(2026, 3, 9), 2) == date(2026, 3, 12)
    # Nationally: 1 Tue 10, 2 Wed 11 Mar.
    assert due(ProvinceCalendar(), at(2026, 3, 9), 2) == date(2026, 3, 11)
    assert not calendar.is_working_day(date(2026, 3, 10))
    assert calendar.due_date(at(2026, 3, 9), 2).skipped == {date(2026, 3, 10): "Ngày nghỉ của tỉnh"}


def test_province_rows_override_the_package_both_ways():
    calendar = ProvinceCalendar(
        overrides=[
            # calendar.md: whether the Art 111(3) make-up applies to 24 Nov is disputed; a province may undo it.
            CalendarOverride(date(2030, 11, 25), DayKind.WORKING_DAY, "Làm việc bình thường"),
            # ... and may take off the package's worked Saturday.
            CalendarOverride(date(2026, 8, 22), DayKind.DAY_OFF, "Không làm bù"),
        ]
    )
    assert "nghỉ bù" in ProvinceCalendar().why_not_working(date(2030, 11, 25))  # a year loaded on demand
    assert calendar.is_working_day(date(2030, 11, 25))
    assert calendar.why_not_working(date(2026, 8, 22)) == "Không làm bù"


# --- the cut-off -----------------------------------------------------------------------------------------


def test_cutoff_on_a_working_day(national):
    # Wed 11 Mar 2026, cut-off 15:00 local.
    # 14:59: received Wed 11, same-day → Wed 11. 7 days: 1 Thu 12, 2 Fri 13, - 14, 15, 3 Mon 16, 4 Tue 17,
    # 5 Wed 18, 6 Thu 19, 7 Fri 20 Mar.
    assert national.received_on(at(2026, 3, 11, 14, 59)) == date(2026, 3, 11)
    assert due(national, at(2026, 3, 11, 14, 59), 0) == date(2026, 3, 11)
    assert due(national, at(2026, 3, 11, 14, 59), 7) == date(2026, 3, 20)
    # 15:01: received Thu 12, same-day → Thu 12. 7 days: 1 Fri 13, - 14, 15, 2 Mon 16 … 6 Fri 20, - 21, 22,
    # 7 Mon 23 Mar.
    assert national.received_on(at(2026, 3, 11, 15, 1)) == date(2026, 3, 12)
    assert due(national, at(2026, 3, 11, 15, 1), 0) == date(2026, 3, 12)
    assert due(national, at(2026, 3, 11, 15, 1), 7) == date(2026, 3, 23)


@pytest.mark.parametrize("minute", [59, 1])
def test_cutoff_on_a_saturday(national, minute):
    hour = 14 if minute == 59 else 15
    # Sat 14 Mar 2026 is not a working day, so before or after 15:00 makes no difference: received Mon 16.
    # Same-day → Mon 16. 7 days: 1 Tue 17, 2 Wed 18, 3 Thu 19, 4 Fri 20, - 21, 22, 5 Mon 23, 6 Tue 24, 7 Wed 25.
    assert national.received_on(at(2026, 3, 14, hour, minute)) == date(2026, 3, 16)
    assert due(national, at(2026, 3, 14, hour, minute), 0) == date(2026, 3, 16)
    assert due(national, at(2026, 3, 14, hour, minute), 7) == date(2026, 3, 25)


def test_after_the_cutoff_on_the_last_day_before_tet(national):
    # Fri 13 Feb 2026 at 15:01: the next working day is Mon 23 Feb, after Tết.
    assert due(national, at(2026, 2, 13, 15, 1), 0) == date(2026, 2, 23)


def test_the_day_is_the_local_day_not_the_utc_day(national):
    # 23:30 UTC on Tue 10 Mar is 06:30 on Wed 11 Mar in Vietnam: received Wed 11 (before opening is still that day).
    assert national.received_on(datetime(2026, 3, 10, 23, 30, tzinfo=UTC)) == date(2026, 3, 11)
    # 08:30 UTC on Wed 11 Mar is 15:30 local: after the cut-off, received Thu 12.
    assert national.received_on(datetime(2026, 3, 11, 8, 30, tzinfo=UTC)) == date(2026, 3, 12)


def test_the_cutoff_is_the_provinces():
    calendar = ProvinceCalendar(cutoff_time="16:30")
    assert calendar.received_on(at(2026, 3, 11, 16, 0)) == date(2026, 3, 11)
    assert calendar.received_on(at(2026, 3, 11, 16, 31)) == date(2026, 3, 12)


def test_bad_input_is_refused(national):
    with pytest.raises(ValueError, match="timezone-aware"):
        national.received_on(datetime(2026, 3, 11, 9, 0))
    with pytest.raises(ValueError, match="negative"):
        national.due_date(at(2026, 3, 11), -1)


# --- the trace -------------------------------------------------------------------------------------------


def test_the_trace_explains_every_day(national):
    result = national.due_date(at(2026, 2, 13, 10, 0), 3)
    assert result.received == date(2026, 2, 13)
    assert [(step.day, step.kind, step.number, step.reason) for step in result.trace] == [
        (date(2026, 2, 13), StepKind.ACCEPTED, None, "lúc 10:00"),
        (date(2026, 2, 13), StepKind.RECEIVED, None, None),
        (date(2026, 2, 14), StepKind.SKIPPED, None, "Thứ Bảy (nghỉ cuối tuần)"),
        (date(2026, 2, 15), StepKind.SKIPPED, None, "Chủ nhật (nghỉ cuối tuần)"),
        (date(2026, 2, 16), StepKind.SKIPPED, None, "Giao thừa Tết Nguyên Đán"),
        (date(2026, 2, 17), StepKind.SKIPPED, None, "Tết Nguyên Đán"),
        (date(2026, 2, 18), StepKind.SKIPPED, None, "Mùng hai Tết Nguyên Đán"),
        (date(2026, 2, 19), StepKind.SKIPPED, None, "Mùng ba Tết Nguyên Đán"),
        (date(2026, 2, 20), StepKind.SKIPPED, None, "Mùng bốn Tết Nguyên Đán"),
        (date(2026, 2, 21), StepKind.SKIPPED, None, "Thứ Bảy (nghỉ cuối tuần)"),
        (date(2026, 2, 22), StepKind.SKIPPED, None, "Chủ nhật (nghỉ cuối tuần)"),
        (date(2026, 2, 23), StepKind.COUNTED, 1, None),
        (date(2026, 2, 24), StepKind.COUNTED, 2, None),
        (date(2026, 2, 25), StepKind.COUNTED, 3, None),
    ]
    assert result.counted == [date(2026, 2, 23), date(2026, 2, 24), date(2026, 2, 25)]
    lines = result.explain()
    assert lines[2] == "Thứ Bảy 14/02/2026: không tính — Thứ Bảy (nghỉ cuối tuần)"
    assert lines[-1] == "Thứ Tư 25/02/2026: ngày làm việc thứ 3"


def test_the_trace_shows_the_cutoff_and_the_days_to_receipt(national):
    result = national.due_date(at(2026, 4, 29, 15, 1), 0)
    # Wed 29 Apr 2026 after 15:00; - Thu 30 Apr, Fri 1 May, Sat 2, Sun 3; received Mon 4 May, due the same day.
    assert result.day == result.received == date(2026, 5, 4)
    kinds = [(step.day, step.kind) for step in result.trace]
    assert kinds[:2] == [(date(2026, 4, 29), StepKind.ACCEPTED), (date(2026, 4, 29), StepKind.AFTER_CUTOFF)]
    assert "sau 15:00" in result.trace[1].reason
    assert result.skipped == {
        date(2026, 4, 30): "Ngày Chiến thắng",
        date(2026, 5, 1): "Ngày Quốc tế Lao động",
        date(2026, 5, 2): "Thứ Bảy (nghỉ cuối tuần)",
        date(2026, 5, 3): "Chủ nhật (nghỉ cuối tuần)",
    }
    assert result.trace[-1].kind is StepKind.RECEIVED
    assert result.counted == []


# --- the province from the database --------------------------------------------------------------------


def test_for_province_reads_the_demo_calendar_in_one_query(demo):
    statements = []

    def count(*args):
        statements.append(args)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        calendar = ProvinceCalendar.for_province(demo)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert calendar.cutoff_time.strftime("%H:%M") == "15:00"
    assert str(calendar.timezone) == "Asia/Ho_Chi_Minh"

    assert calendar.why_not_working(date(2026, 12, 18)) == "Ngày thành lập tỉnh Minh Sơn"  # a Friday
    assert calendar.why_not_working(date(2027, 4, 29)) == "Nghỉ nối dịp 30/4 – 1/5 (dự kiến)"  # a Thursday
    assert calendar.is_working_day(date(2027, 4, 24))  # a Saturday
    assert national_year(2027).holidays.get(date(2027, 4, 29)) is None  # the package knows none of these

    # Accepted Fri 23 Apr 2027 (R). 1 Sat 24 (worked), - Sun 25, 2 Mon 26, 3 Tue 27 Apr.
    assert due(calendar, at(2027, 4, 23), 3) == date(2027, 4, 27)
    # ... 4 Wed 28, - Thu 29 (province day off), Fri 30, Sat 1 May, Sun 2, Mon 3 (observed), 5 Tue 4 May.
    assert due(calendar, at(2027, 4, 23), 5) == date(2027, 5, 4)
    # Nationally: 1 Mon 26, 2 Tue 27, 3 Wed 28 Apr.
    assert due(ProvinceCalendar(), at(2027, 4, 23), 3) == date(2027, 4, 28)
    # Accepted Thu 17 Dec 2026 (R). - Fri 18 (province day), Sat 19, Sun 20, 1 Mon 21 Dec.
    assert due(calendar, at(2026, 12, 17), 1) == date(2026, 12, 21)
