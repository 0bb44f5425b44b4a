"""Filling the dashboards' tables: the facts of one day's applications, then that day's sums per agency.

One local day at a time, for one province: the applications submitted, decided, rated or complained about
that day get their fact rows written afresh, the transfers out of that day are listed again, and the day's
`DashboardDay` rows are replaced by sums over the facts, then the day's month rows are summed again from its
day rows (onestop/dashboards/months.py). A fact written again can change a figure of another day: a file
decided today is counted among the arrivals of the day it was filed (its result now in the warehouse makes
it shared for reuse), and a file rated unsatisfied today among the decisions of the day it was decided. The
days whose figures such a fact changed are summed again too, with their months. Running it twice for a day
gives the same rows (a reload replaces the days); `rebuild` empties the tables and runs every day from the
first filing to today. Only one day's applications are read at a time, so the nightly job costs what a
day's work costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, delete, func, select

from onestop.dashboards import memo, months, sources
from onestop.dashboards.facts import chunks, local_day, write_facts
from onestop.dashboards.models import (
    DashboardDay,
    DashboardDuration,
    DashboardFact,
    DashboardMonth,
    DashboardMonthDuration,
    DashboardTransfer,
)
from onestop.extensions import db
from onestop.models import utcnow
from onestop.procedures.calendar import ProvinceCalendar
from onestop.procedures.models import (
    RUNNING_STATES,
    Application,
    ApplicationState,
    ApplicationStep,
    StepOutcome,
)
from onestop.provinces.models import Agency, Province

SUMMARIES = (DashboardDay, DashboardDuration, DashboardMonth, DashboardMonthDuration)


@dataclass(frozen=True)
class DayReport:
    day: date
    facts: int
    agencies: int


def day_bounds(calendar: ProvinceCalendar, day: date) -> tuple[datetime, datetime]:
    """The UTC moments where the province's local `day` starts and the next one starts."""
    start = datetime.combine(day, time(0), tzinfo=calendar.timezone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.timezone).astimezone(UTC)
    return start, end


def _day_application_ids(day: date, start: datetime, end: datetime, agency_ids: list[int]) -> list[int]:
    """The files filed, decided, rated or complained about that day, held by the province's agencies."""
    submitted = select(Application.id).where(Application.submitted_at >= start, Application.submitted_at < end)
    finished = select(Application.id).where(Application.finished_at >= start, Application.finished_at < end)
    ids = (
        set(db.session.scalars(submitted))
        | set(db.session.scalars(finished))
        | sources.touched_application_ids(agency_ids, day, start, end)
    )
    if not ids:
        return []
    kept = []
    for chunk in chunks(sorted(ids)):
        kept += db.session.scalars(
            select(Application.id).where(
                Application.id.in_(chunk),
                Application.receiving_agency_id.in_(agency_ids),
                Application.state != ApplicationState.DRAFT,
            )
        )
    return kept


def _write_transfers(start: datetime, end: datetime, day: date, agency_ids: list[int]) -> None:
    db.session.execute(
        delete(DashboardTransfer).where(DashboardTransfer.day == day, DashboardTransfer.agency_id.in_(agency_ids))
    )
    rows = db.session.execute(
        select(ApplicationStep.application_id, ApplicationStep.agency_id).where(
            ApplicationStep.outcome == StepOutcome.TRANSFERRED,
            ApplicationStep.left_at >= start,
            ApplicationStep.left_at < end,
            ApplicationStep.agency_id.in_(agency_ids),
        )
    ).all()
    for application_id, agency_id in rows:
        db.session.add(DashboardTransfer(application_id=application_id, agency_id=agency_id, day=day))
    db.session.flush()


def _sum_true(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sums(days: list[date], agency_ids: list[int]) -> dict[tuple[date, int], dict]:
    """Those days' sums per day and agency, from the fact rows (arrivals by the day filed, decisions by the day
    decided), in one grouped query per side."""
    sums: dict[tuple[date, int], dict] = {}
    F = DashboardFact
    arrivals = db.session.execute(
        select(
            F.submitted_day,
            F.agency_id,
            func.count(),
            _sum_true(F.online),
            _sum_true(F.full_level),
            _sum_true(and_(F.full_level, F.online)),
            _sum_true(F.reused),
            _sum_true(F.digitised),
            _sum_true(F.shared_for_reuse),
        )
        .where(F.submitted_day.in_(days), F.agency_id.in_(agency_ids))
        .group_by(F.submitted_day, F.agency_id)
    )
    for day, agency_id, received, online, full, full_online, reused, digitised, shared in arrivals:
        sums.setdefault((day, agency_id), {}).update(
            received=received,
            received_online=online,
            full_received=full,
            full_online=full_online,
            reused=reused,
            digitised=digitised,
            shared_for_reuse=shared,
        )
    decisions = db.session.execute(
        select(
            F.finished_day,
            F.agency_id,
            _sum_true(F.decided),
            _sum_true(F.on_time),
            _sum_true(F.refused),
            _sum_true(F.returned),
            _sum_true(F.returned_online),
            _sum_true(F.had_fee),
            _sum_true(F.paid_online),
            _sum_true(F.service_ok),
        )
        .where(F.finished_day.in_(days), F.agency_id.in_(agency_ids))
        .group_by(F.finished_day, F.agency_id)
    )
    for day, agency_id, decided, on_time, refused, returned, returned_online, had_fee, paid, service_ok in decisions:
        sums.setdefault((day, agency_id), {}).update(
            decided=decided,
            on_time=on_time,
            late=decided - on_time,
            refused=refused,
            returned=returned,
            returned_online=returned_online,
            had_fee=had_fee,
            paid_online=paid,
            service_ok=service_ok,
        )
    durations = db.session.execute(
        select(F.finished_day, F.agency_id, F.working_days, func.count())
        .where(F.finished_day.in_(days), F.agency_id.in_(agency_ids), F.working_days.is_not(None))
        .group_by(F.finished_day, F.agency_id, F.working_days)
    )
    for day, agency_id, working_days, count in durations:
        one = sums.setdefault((day, agency_id), {})
        one.setdefault("durations", {})[working_days] = count
        one["working_days_sum"] = one.get("working_days_sum", 0) + working_days * count
        one["working_days_count"] = one.get("working_days_count", 0) + count
    transfers = db.session.execute(
        select(DashboardTransfer.day, DashboardTransfer.agency_id, func.count())
        .where(DashboardTransfer.day.in_(days), DashboardTransfer.agency_id.in_(agency_ids))
        .group_by(DashboardTransfer.day, DashboardTransfer.agency_id)
    )
    for day, agency_id, count in transfers:
        sums.setdefault((day, agency_id), {})["transferred"] = count
    return sums


def _write_days(days: list[date], agency_ids: list[int], live: dict[date, dict[int, int]]) -> dict:
    """Replace the day rows (and working-day histograms) of those days from the facts, then their months.

    The overdue count is a snapshot: `live` gives it for the day being lived (or just ended); every other day
    keeps the one its row was written with (None when none was taken)."""
    sums = _sums(days, agency_ids)
    voices = sources.voice_counts(agency_ids, days)
    kept = {
        (day, agency_id): snapshot
        for day, agency_id, snapshot in db.session.execute(
            select(DashboardDay.day, DashboardDay.agency_id, DashboardDay.overdue_snapshot).where(
                DashboardDay.day.in_(days),
                DashboardDay.agency_id.in_(agency_ids),
                DashboardDay.overdue_snapshot.is_not(None),
            )
        )
    }
    for model in (DashboardDay, DashboardDuration):
        db.session.execute(delete(model).where(model.day.in_(days), model.agency_id.in_(agency_ids)))
    for day in days:
        # A live count lists only the agencies with overdue files; the others had none (0).
        snapshot = live.get(day)
        snapshots = snapshot if snapshot is not None else {a: n for (one, a), n in kept.items() if one == day}
        counted = {agency_id for one, agency_id in set(sums) | set(voices) if one == day}
        for agency_id in sorted(counted | set(snapshots)):
            values = dict(sums.get((day, agency_id), {}))
            for working_days, files in values.pop("durations", {}).items():
                db.session.add(DashboardDuration(agency_id=agency_id, day=day, working_days=working_days, files=files))
            row = DashboardDay(agency_id=agency_id, day=day, aggregated_at=utcnow(), **values)
            row.overdue_snapshot = snapshots.get(agency_id, 0 if snapshot is not None else None)
            for name, value in voices.get((day, agency_id), sources.VOICE_ZEROS).items():
                setattr(row, name, value)
            db.session.add(row)
    db.session.flush()
    for first in sorted({months.month_start(day) for day in days}):
        months.write_month(agency_ids, first)
    return sums


def overdue_now(agency_ids: list[int], today: date) -> dict[int, int]:
    """Files whose clock is running past their due date, per agency: one indexed count (the office's own flag)."""
    rows = db.session.execute(
        select(Application.receiving_agency_id, func.count())
        .where(
            Application.receiving_agency_id.in_(agency_ids),
            Application.state.in_(sorted(RUNNING_STATES)),
            Application.due_on < today,
        )
        .group_by(Application.receiving_agency_id)
    )
    return dict(rows.all())


def aggregate_day(province: Province, day: date, today: date | None = None) -> DayReport:
    """Write (again) the facts and the sums of one local day for the province's agencies, and the sums of the
    other days those facts changed; idempotent."""
    calendar = ProvinceCalendar.for_province(province)
    agency_ids = list(db.session.scalars(select(Agency.id).where(Agency.province_id == province.id)))
    start, end = day_bounds(calendar, day)
    application_ids = _day_application_ids(day, start, end, agency_ids)
    moved = write_facts(application_ids, calendar)
    _write_transfers(start, end, day, agency_ids)
    # The overdue count is known only for the day being lived (or just ended).
    today = today or datetime.now(calendar.timezone).date()
    live = {day: overdue_now(agency_ids, day + timedelta(days=1))} if day >= today - timedelta(days=1) else {}
    sums = _write_days(sorted(moved | {day}), agency_ids, live)
    memo.changed(province.id)
    return DayReport(day=day, facts=len(application_ids), agencies=sum(1 for one, _ in sums if one == day))


def first_day(province: Province) -> date | None:
    calendar = ProvinceCalendar.for_province(province)
    first = db.session.scalar(
        select(func.min(Application.submitted_at))
        .join(Agency, Agency.id == Application.receiving_agency_id)
        .where(Agency.province_id == province.id)
    )
    return local_day(calendar, first)


def rebuild(province: Province, since: date | None = None, until: date | None = None) -> list[DayReport]:
    """Every day from `since` (default: the first filing) to `until` (default: today), committed day by day.

    Without `since` the tables are emptied first for the province, so nothing stale survives.
    """
    calendar = ProvinceCalendar.for_province(province)
    until = until or datetime.now(calendar.timezone).date()
    agency_ids = list(db.session.scalars(select(Agency.id).where(Agency.province_id == province.id)))
    if since is None:
        since = first_day(province)
        for model in (*SUMMARIES, DashboardFact, DashboardTransfer):
            db.session.execute(delete(model).where(model.agency_id.in_(agency_ids)))
        db.session.commit()
    reports = []
    day = since
    while day is not None and day <= until:
        reports.append(aggregate_day(province, day, today=until))
        db.session.commit()
        day += timedelta(days=1)
    return reports
