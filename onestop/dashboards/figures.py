"""Sums of the pre-aggregated days over a period: the totals, the months, one row per agency.

Every query here reads `dashboard_day` by (day, agency) and never the applications, except the live
"overdue now" count, which is one indexed count per agency (the back office's own overdue flag).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from onestop.dashboards.aggregate import overdue_now
from onestop.dashboards.models import DashboardDay, DashboardDuration
from onestop.extensions import db

COUNTED = (
    "received",
    "received_online",
    "full_received",
    "full_online",
    "reused",
    "decided",
    "on_time",
    "late",
    "refused",
    "returned",
    "returned_online",
    "had_fee",
    "paid_online",
    "transferred",
    "working_days_sum",
    "working_days_count",
)
# NULL on a day means not measured that day; a period is measured when any of its days is.
VOICE = ("feedback_total", "feedback_on_time", "feedback_satisfied", "ratings_total", "ratings_satisfied")


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
    if not agency_ids:
        return {}
    columns = [func.coalesce(func.sum(getattr(DashboardDay, name)), 0) for name in COUNTED]
    columns += [func.sum(getattr(DashboardDay, name)) for name in VOICE]
    rows = db.session.execute(
        select(DashboardDay.agency_id, *columns)
        .where(*_where(agency_ids, first, last))
        .group_by(DashboardDay.agency_id)
    )
    return {agency_id: _finish(dict(zip(COUNTED + VOICE, values, strict=True))) for agency_id, *values in rows}


def add_up(sums: list[dict]) -> dict:
    """The sums of several agencies; a voice column stays None unless some agency measured it."""
    result = dict.fromkeys(COUNTED, 0) | dict.fromkeys(VOICE)
    for one in sums:
        for name in COUNTED:
            result[name] += one[name]
        for name in VOICE:
            if one[name] is not None:
                result[name] = (result[name] or 0) + one[name]
    return _finish(result)


def totals(agency_ids: list[int], first: date, last: date) -> dict:
    """The period's sums over the agencies; voice columns are None when no day of the period measured them."""
    return add_up(list(by_agency(agency_ids, first, last).values()))


def histogram(agency_ids: list[int], first: date, last: date) -> Counter:
    """Files decided in the period per number of working days they took, summed in SQL."""
    if not agency_ids:
        return Counter()
    rows = db.session.execute(
        select(DashboardDuration.working_days, func.sum(DashboardDuration.files))
        .where(
            DashboardDuration.agency_id.in_(agency_ids),
            DashboardDuration.day >= first,
            DashboardDuration.day <= last,
        )
        .group_by(DashboardDuration.working_days)
    )
    return Counter({days: int(files) for days, files in rows})


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
    if not agency_ids:
        return []
    names = ("received", "decided", "on_time", "late", "received_online")
    rows = db.session.execute(
        select(DashboardDay.day, *[func.sum(getattr(DashboardDay, name)) for name in names])
        .where(*_where(agency_ids, first, last))
        .group_by(DashboardDay.day)
    )
    by_month: dict[tuple[int, int], dict] = {}
    cursor = first.replace(day=1)
    while cursor <= last:
        by_month[(cursor.year, cursor.month)] = dict.fromkeys(names, 0)
        cursor = cursor.replace(year=cursor.year + (cursor.month == 12), month=cursor.month % 12 + 1)
    for day, *values in rows:
        bucket = by_month.setdefault((day.year, day.month), dict.fromkeys(names, 0))
        for name, value in zip(names, values, strict=True):
            bucket[name] += int(value or 0)
    return [(f"{month:02d}/{year}", values) for (year, month), values in sorted(by_month.items())]
