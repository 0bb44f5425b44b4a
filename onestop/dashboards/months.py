"""Month rows beside the day rows: written from the day rows, read for the whole months of a period.

Whenever a day is aggregated, its month's rows are summed again from that month's day rows (in the
database, one statement per table), so a month row always equals the sum of its days and a reload stays
idempotent. A period is then read as its whole months (month rows) and its partial months at either end
(day rows): the same sums, from a dozen rows per agency and year instead of 365.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, delete, func, insert, literal, select

from onestop.dashboards.models import (
    DashboardDay,
    DashboardDuration,
    DashboardMonth,
    DashboardMonthDuration,
    _Sums,
)
from onestop.extensions import db

SUMMED = tuple(name for name in _Sums.__annotations__)
VOICE = ("feedback_total", "feedback_on_time", "feedback_satisfied", "ratings_total", "ratings_satisfied")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = day.replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def write_month(agency_ids: list[int], day: date) -> None:
    """Sum the day rows of `day`'s month again into the month rows of those agencies (replacing them)."""
    first, last = month_start(day), month_end(day)
    for model in (DashboardMonth, DashboardMonthDuration):
        db.session.execute(delete(model).where(model.month == first, model.agency_id.in_(agency_ids)))
    sums = sum_columns(DashboardDay)
    in_month = [DashboardDay.agency_id.in_(agency_ids), DashboardDay.day >= first, DashboardDay.day <= last]
    db.session.execute(
        insert(DashboardMonth).from_select(
            ["agency_id", "month", *SUMMED],
            select(DashboardDay.agency_id, literal(first, Date), *sums)
            .where(*in_month)
            .group_by(DashboardDay.agency_id),
        )
    )
    D = DashboardDuration
    db.session.execute(
        insert(DashboardMonthDuration).from_select(
            ["agency_id", "month", "working_days", "files"],
            select(D.agency_id, literal(first, Date), D.working_days, func.sum(D.files))
            .where(D.agency_id.in_(agency_ids), D.day >= first, D.day <= last)
            .group_by(D.agency_id, D.working_days),
        )
    )


def sum_columns(model) -> list:
    """The summed columns of day (or month) rows: zero when no row had a count, NULL when no row measured a voice."""
    return [
        func.sum(getattr(model, name)) if name in VOICE else func.coalesce(func.sum(getattr(model, name)), 0)
        for name in SUMMED
    ]


@dataclass(frozen=True)
class Spans:
    """A stretch of days split into whole months (read from month rows) and the days of partial months."""

    months: list[date]  # first days of the whole months
    days: list[tuple[date, date]]  # (first, last) stretches read from the day rows


def spans(first: date, last: date, cuts: tuple[date, ...] = ()) -> Spans:
    """`first`..`last` as whole months and partial stretches. A stretch never crosses a month's end nor a
    cut (a day another boundary starts on, such as the period's first day inside a longer trend), so every
    row read lies wholly on one side of each boundary."""
    months, days = [], []
    cursor = first
    while cursor <= last:
        start, end = month_start(cursor), month_end(cursor)
        stop = min([end, last] + [cut - timedelta(days=1) for cut in cuts if cursor < cut <= end])
        if cursor == start and stop == end:
            months.append(start)
        else:
            days.append((cursor, stop))
        cursor = stop + timedelta(days=1)
    return Spans(months, days)
