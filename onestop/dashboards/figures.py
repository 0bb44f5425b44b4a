"""Sums of the pre-aggregated days over a period: the totals, the months, one row per agency.

Every query here reads the month rows (`dashboard_month`, whole months) and the day rows (`dashboard_day`,
partial months) by agency, and never the applications, except the live "overdue now" count, which is one
indexed count per agency (the back office's own overdue flag).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, func, literal, null, select, union_all

from onestop.dashboards.aggregate import overdue_now
from onestop.dashboards.models import DashboardDay, DashboardDuration, DashboardMonth, DashboardMonthDuration
from onestop.dashboards.months import SUMMED, VOICE, spans, sum_columns
from onestop.extensions import db

# The counts a day always has; the voice columns (NULL on a day means not measured that day) are months.VOICE:
# a period is measured when any of its days is.
COUNTED = tuple(name for name in SUMMED if name not in VOICE)


def _where(agency_ids: list[int], first: date, last: date) -> list:
    return [DashboardDay.agency_id.in_(agency_ids), DashboardDay.day >= first, DashboardDay.day <= last]


def _finish(result: dict) -> dict:
    for name in COUNTED:
        result[name] = int(result[name] or 0)
    for name in VOICE:
        result[name] = int(result[name]) if result[name] is not None else None
    result["returned_offline"] = result["returned"] - result["returned_online"]
    return result


def by_agency(agency_ids: list[int], first: date, last: date) -> dict[int, dict]:
    """Each agency's sums over the period, in one grouped read of the day rows."""
    return read(agency_ids, first, last, first)[0]


MONTHLY = ("received", "decided", "on_time", "late", "received_online")


def _sum_selects(agency_ids: list[int], first: date, last: date, cuts: tuple[date, ...]) -> list:
    """(0, agency, first day, sums...) for the whole months (month rows) and the partial stretches (day rows)."""
    parts = spans(first, last, cuts)
    selects = []
    if parts.months:
        month_columns = [getattr(DashboardMonth, name) for name in SUMMED]
        selects.append(
            select(literal(0), DashboardMonth.agency_id, DashboardMonth.month, *month_columns).where(
                DashboardMonth.agency_id.in_(agency_ids), DashboardMonth.month.in_(parts.months)
            )
        )
    for stretch_first, stretch_last in parts.days:
        selects.append(
            select(literal(0), DashboardDay.agency_id, literal(stretch_first, Date), *sum_columns(DashboardDay))
            .where(*_where(agency_ids, stretch_first, stretch_last))
            .group_by(DashboardDay.agency_id)
        )
    return selects


def _duration_selects(agency_ids: list[int], first: date, last: date, width: int = 0) -> list:
    """(working days, files) over the period, from the month-duration rows of its whole months and the
    duration rows of its partial ones; padded to the sums' shape (1, NULL, NULL, days, files, NULL...) when
    `width` is given, so that both travel in one statement."""
    parts = spans(first, last)
    M, D = DashboardMonthDuration, DashboardDuration
    shape = [literal(1), null(), null()] if width else []
    padding = [null()] * (width - 2) if width else []
    selects = []
    if parts.months:
        selects.append(
            select(*shape, M.working_days, func.sum(M.files), *padding)
            .where(M.agency_id.in_(agency_ids), M.month.in_(parts.months))
            .group_by(M.working_days)
        )
    for stretch_first, stretch_last in parts.days:
        selects.append(
            select(*shape, D.working_days, func.sum(D.files), *padding)
            .where(D.agency_id.in_(agency_ids), D.day >= stretch_first, D.day <= stretch_last)
            .group_by(D.working_days)
        )
    return selects


def _execute(selects: list) -> list:
    if not selects:
        return []
    return db.session.execute(union_all(*selects) if len(selects) > 1 else selects[0]).all()


def read(
    agency_ids: list[int], first: date, last: date, trend_first: date, durations: bool = False
) -> tuple[dict[int, dict], list, Counter]:
    """Each agency's sums over the period, the sums per month from `trend_first` to `last` and (with
    `durations`) the period's working-day histogram, in one statement over the month rows (whole months)
    and the day rows (partial months)."""
    if not agency_ids:
        return {}, [], Counter()
    selects = _sum_selects(agency_ids, min(first, trend_first), last, (first,))
    if durations:
        selects += _duration_selects(agency_ids, first, last, width=len(SUMMED))
    sums: dict[int, list[dict]] = {}
    counts: Counter = Counter()
    by_month = _empty_months(trend_first, last)
    for kind, agency_id, starts, *values in _execute(selects):
        if kind == 1:
            counts[values[0]] += int(values[1])
            continue
        values = dict(zip(SUMMED, values, strict=True))
        bucket = by_month.setdefault((starts.year, starts.month), dict.fromkeys(MONTHLY, 0))
        for name in MONTHLY:
            bucket[name] += int(values[name] or 0)
        if starts >= first:
            sums.setdefault(agency_id, []).append(values)
    months_ = [(f"{m:02d}/{y}", values) for (y, m), values in sorted(by_month.items())]
    return {agency_id: add_up(parts) for agency_id, parts in sums.items()}, months_, counts


def _empty_months(first: date, last: date) -> dict[tuple[int, int], dict]:
    by_month: dict[tuple[int, int], dict] = {}
    cursor = first.replace(day=1)
    while cursor <= last:
        by_month[(cursor.year, cursor.month)] = dict.fromkeys(MONTHLY, 0)
        cursor = cursor.replace(year=cursor.year + (cursor.month == 12), month=cursor.month % 12 + 1)
    return by_month


def add_up(sums: list[dict]) -> dict:
    """The sums of several agencies; a voice column stays None unless some agency measured it."""
    result = dict.fromkeys(COUNTED, 0) | dict.fromkeys(VOICE)
    for one in sums:
        for name in COUNTED:
            result[name] += int(one[name] or 0)
        for name in VOICE:
            if one[name] is not None:
                result[name] = (result[name] or 0) + one[name]
    return _finish(result)


def totals(agency_ids: list[int], first: date, last: date) -> dict:
    """The period's sums over the agencies; voice columns are None when no day of the period measured them."""
    return add_up(list(by_agency(agency_ids, first, last).values()))


def histogram(agency_ids: list[int], first: date, last: date) -> Counter:
    """Files decided in the period per number of working days they took: whole months from the month rows,
    partial months from the day rows."""
    counts: Counter = Counter()
    if agency_ids:
        for days, files in _execute(_duration_selects(agency_ids, first, last)):
            counts[days] += int(files)
    return counts


def percentile(counts: Counter, share: float) -> int | None:
    """The nearest-rank percentile: the smallest value with at least `share` of the files at or below it."""
    total = sum(counts.values())
    if not total:
        return None
    rank = math.ceil(share * total)
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None


@dataclass(frozen=True)
class Figure:
    """One operational figure: a count, or a share with what it is a share of, or not measured."""

    key: str
    count: int | float | None
    of: int | None = None
    list_key: str | None = None
    measured: bool = True

    @property
    def percent(self) -> float | None:
        if self.of is None or not self.of or self.count is None:
            return None
        return round(100 * self.count / self.of, 1)


def operational(totals_: dict, overdue: int, counts: Counter) -> list[Figure]:
    average = (
        round(totals_["working_days_sum"] / totals_["working_days_count"], 1) if totals_["working_days_count"] else None
    )
    return [
        Figure("received", totals_["received"], list_key="received"),
        Figure("on_time", totals_["on_time"], totals_["decided"], "on_time"),
        Figure("late", totals_["late"], totals_["decided"], "late"),
        Figure("overdue", overdue, list_key="overdue"),
        Figure("refused", totals_["refused"], list_key="refused"),
        Figure("transferred", totals_["transferred"], list_key="transferred"),
        Figure("online", totals_["received_online"], totals_["received"], "online"),
        Figure("full_online", totals_["full_online"], totals_["full_received"], "full_online"),
        Figure("paid_online", totals_["paid_online"], totals_["had_fee"], "paid_online"),
        Figure("results_online", totals_["returned_online"], totals_["returned"], "returned_online"),
        Figure("reused", totals_["reused"], totals_["received"], "reused"),
        Figure("average_days", average, list_key="decided"),
        Figure("p90_days", percentile(counts, 0.9), list_key="decided"),
        Figure(
            "satisfaction",
            totals_["ratings_satisfied"],
            totals_["ratings_total"],
            measured=totals_["ratings_total"] is not None,
        ),
        Figure(
            "feedback_on_time",
            totals_["feedback_on_time"],
            totals_["feedback_total"],
            measured=totals_["feedback_total"] is not None,
        ),
    ]


def overdue_total(agency_ids: list[int], today: date) -> int:
    return sum(overdue_now(agency_ids, today).values()) if agency_ids else 0


def months(agency_ids: list[int], first: date, last: date) -> list[tuple[str, dict]]:
    """Sums per month of the period, oldest first: (label "MM/YYYY", {received, decided, on_time, late, online})."""
    return read(agency_ids, first, last, first)[1]
