"""Filling the dashboards' tables: the facts of one day's applications, then that day's sums per agency.

One local day at a time, for one province: the applications submitted or decided that day get their
fact rows written afresh, the transfers out of that day are listed again, and the day's `DashboardDay`
rows are replaced by sums over the facts, then the day's month rows are summed again from its day rows
(onestop/dashboards/months.py). Running it twice for a day gives the same rows (a reload
replaces the day); `rebuild` empties the tables and runs every day from the first filing to today.
Only one day's applications are read at a time, so the nightly job costs what a day's work costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import selectinload

from onestop.accounts.models import Role, User
from onestop.dashboards import memo, months, sources
from onestop.dashboards.models import (
    DashboardDay,
    DashboardDuration,
    DashboardFact,
    DashboardMonth,
    DashboardMonthDuration,
    DashboardTransfer,
)
from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.models import utcnow
from onestop.payments.models import OrderState, PaymentOrder
from onestop.procedures.calendar import ProvinceCalendar
from onestop.procedures.clock import same_day_cutoff, working_days_between
from onestop.procedures.models import (
    RUNNING_STATES,
    Application,
    ApplicationDocument,
    ApplicationState,
    ApplicationStep,
    ClockKind,
    OnlineLevel,
    ResultDelivery,
    StepOutcome,
)
from onestop.provinces.models import Agency, Province

BATCH = 500
SUMMARIES = (DashboardDay, DashboardDuration, DashboardMonth, DashboardMonthDuration)
PAID_STATES = (OrderState.PAID, OrderState.REFUNDING, OrderState.REFUNDED)


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


def _local_day(calendar: ProvinceCalendar, moment: datetime | None) -> date | None:
    return calendar.local(moment).date() if moment is not None else None


def promised_day(application: Application, calendar: ProvinceCalendar) -> date | None:
    """The due date the file was held to: from its last clock start, ignoring apology extensions.

    An apology slip is issued because a file is late; it gives the citizen a new date but does not
    make the file on time (the index counts it late). None when the clock never ran or stopped last.
    """
    due: date | None = None
    for entry in application.clock:
        if entry.kind == ClockKind.START:
            due = calendar.due_date(entry.at, entry.working_days or 0, cutoff=same_day_cutoff(application)).day
        elif entry.kind == ClockKind.SUSPEND:
            due = None
    return due


def clock_working_days(application: Application, calendar: ProvinceCalendar, finished: datetime) -> int:
    """Working days the clock ran: each run from its start's day of receipt to its stop, suspensions left out."""
    total = 0
    started: datetime | None = None
    for entry in application.clock:
        if entry.kind == ClockKind.START:
            started = entry.at
        elif entry.kind == ClockKind.SUSPEND and started is not None:
            total += working_days_between(calendar, calendar.received_on(started), calendar.local(entry.at).date())
            started = None
    if started is not None:
        total += working_days_between(calendar, calendar.received_on(started), calendar.local(finished).date())
    return total


def fact_for(
    application: Application, calendar: ProvinceCalendar, staff_ids: set[int], reused: bool, order: PaymentOrder | None
) -> DashboardFact:
    """Everything the index asks of one application (see docs/service-index.md for each rule)."""
    state = application.state_enum
    finished = application.finished_at if state in (ApplicationState.RETURNED, ApplicationState.REFUSED) else None
    finished_day = _local_day(calendar, finished)
    decided = finished is not None and application.accepted_at is not None
    on_time = False
    working_days = None
    if decided:
        due = promised_day(application, calendar)
        on_time = due is None or finished_day <= due
        working_days = clock_working_days(application, calendar, finished)
    returned = state is ApplicationState.RETURNED
    return DashboardFact(
        application_id=application.id,
        agency_id=application.receiving_agency_id,
        procedure_id=application.procedure_id,
        submitted_day=_local_day(calendar, application.submitted_at),
        finished_day=finished_day,
        online=application.submitter_id not in staff_ids,
        full_level=application.procedure.online_level == OnlineLevel.FULL,
        reused=reused,
        decided=decided,
        on_time=decided and on_time,
        refused=state is ApplicationState.REFUSED and finished is not None,
        returned=returned,
        returned_online=returned and application.result_delivery == ResultDelivery.ONLINE,
        had_fee=decided and order is not None and order.amount > 0,
        paid_online=decided and order is not None and order.amount > 0 and order.state in PAID_STATES,
        working_days=working_days,
    )


def _day_application_ids(start: datetime, end: datetime, agency_ids: list[int]) -> list[int]:
    submitted = select(Application.id).where(Application.submitted_at >= start, Application.submitted_at < end)
    finished = select(Application.id).where(Application.finished_at >= start, Application.finished_at < end)
    ids = set(db.session.scalars(submitted)) | set(db.session.scalars(finished))
    if not ids:
        return []
    kept = []
    for chunk in _chunks(sorted(ids)):
        kept += db.session.scalars(
            select(Application.id).where(
                Application.id.in_(chunk),
                Application.receiving_agency_id.in_(agency_ids),
                Application.state != ApplicationState.DRAFT,
            )
        )
    return kept


def _chunks(values: list[int]):
    for index in range(0, len(values), BATCH):
        yield values[index : index + BATCH]


def _write_facts(application_ids: list[int], calendar: ProvinceCalendar) -> None:
    for chunk in _chunks(application_ids):
        applications = db.session.scalars(
            select(Application)
            .where(Application.id.in_(chunk))
            .options(selectinload(Application.clock), selectinload(Application.procedure))
        ).all()
        submitters = {application.submitter_id for application in applications}
        staff_ids = set(db.session.scalars(select(User.id).where(User.id.in_(submitters), User.role != Role.CITIZEN)))
        reused_ids = set(
            db.session.scalars(
                select(ApplicationDocument.application_id)
                .join(Document, Document.id == ApplicationDocument.document_id)
                .join(Application, Application.id == ApplicationDocument.application_id)
                .where(ApplicationDocument.application_id.in_(chunk), Document.created_at < Application.created_at)
            )
        )
        orders = {
            order.application_id: order
            for order in db.session.scalars(select(PaymentOrder).where(PaymentOrder.application_id.in_(chunk)))
        }
        db.session.execute(delete(DashboardFact).where(DashboardFact.application_id.in_(chunk)))
        for application in applications:
            db.session.add(
                fact_for(application, calendar, staff_ids, application.id in reused_ids, orders.get(application.id))
            )
        db.session.flush()
        # Keep memory flat on big days: these rows are not needed again.
        for application in applications:
            db.session.expunge(application)


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


def _sums(day: date, agency_ids: list[int]) -> dict[int, dict]:
    """This day's sums per agency, from the fact rows (arrivals by the day filed, decisions by the day decided)."""
    by_agency: dict[int, dict] = {}
    arrivals = db.session.execute(
        select(
            DashboardFact.agency_id,
            func.count(),
            _sum_true(DashboardFact.online),
            _sum_true(DashboardFact.full_level),
            _sum_true(and_(DashboardFact.full_level, DashboardFact.online)),
            _sum_true(DashboardFact.reused),
        )
        .where(DashboardFact.submitted_day == day, DashboardFact.agency_id.in_(agency_ids))
        .group_by(DashboardFact.agency_id)
    )
    for agency_id, received, online, full, full_online, reused in arrivals:
        by_agency.setdefault(agency_id, {}).update(
            received=received, received_online=online, full_received=full, full_online=full_online, reused=reused
        )
    decisions = db.session.execute(
        select(
            DashboardFact.agency_id,
            _sum_true(DashboardFact.decided),
            _sum_true(DashboardFact.on_time),
            _sum_true(DashboardFact.refused),
            _sum_true(DashboardFact.returned),
            _sum_true(DashboardFact.returned_online),
            _sum_true(DashboardFact.had_fee),
            _sum_true(DashboardFact.paid_online),
        )
        .where(DashboardFact.finished_day == day, DashboardFact.agency_id.in_(agency_ids))
        .group_by(DashboardFact.agency_id)
    )
    for agency_id, decided, on_time, refused, returned, returned_online, had_fee, paid_online in decisions:
        by_agency.setdefault(agency_id, {}).update(
            decided=decided,
            on_time=on_time,
            late=decided - on_time,
            refused=refused,
            returned=returned,
            returned_online=returned_online,
            had_fee=had_fee,
            paid_online=paid_online,
        )
    durations = db.session.execute(
        select(DashboardFact.agency_id, DashboardFact.working_days, func.count())
        .where(
            DashboardFact.finished_day == day,
            DashboardFact.agency_id.in_(agency_ids),
            DashboardFact.working_days.is_not(None),
        )
        .group_by(DashboardFact.agency_id, DashboardFact.working_days)
    )
    for agency_id, days, count in durations:
        sums = by_agency.setdefault(agency_id, {})
        sums.setdefault("durations", {})[days] = count
        sums["working_days_sum"] = sums.get("working_days_sum", 0) + days * count
        sums["working_days_count"] = sums.get("working_days_count", 0) + count
    transfers = db.session.execute(
        select(DashboardTransfer.agency_id, func.count())
        .where(DashboardTransfer.day == day, DashboardTransfer.agency_id.in_(agency_ids))
        .group_by(DashboardTransfer.agency_id)
    )
    for agency_id, count in transfers:
        by_agency.setdefault(agency_id, {})["transferred"] = count
    return by_agency


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
    """Write (again) the facts and the sums of one local day for the province's agencies; idempotent."""
    calendar = ProvinceCalendar.for_province(province)
    agency_ids = list(db.session.scalars(select(Agency.id).where(Agency.province_id == province.id)))
    start, end = day_bounds(calendar, day)
    application_ids = _day_application_ids(start, end, agency_ids)
    _write_facts(application_ids, calendar)
    _write_transfers(start, end, day, agency_ids)
    sums = _sums(day, agency_ids)
    # The overdue count is a snapshot: it is known only for the day being lived (or just ended).
    today = today or datetime.now(calendar.timezone).date()
    snapshot = overdue_now(agency_ids, day + timedelta(days=1)) if day >= today - timedelta(days=1) else None
    for model in (DashboardDay, DashboardDuration):
        db.session.execute(delete(model).where(model.day == day, model.agency_id.in_(agency_ids)))
    voices = sources.voice_counts(agency_ids, day)
    spoken = {agency_id for agency_id, counts in voices.items() if any(counts.values())}
    for agency_id in sorted(set(sums) | set(snapshot or {}) | spoken):
        values = dict(sums.get(agency_id, {}))
        for days, files in values.pop("durations", {}).items():
            db.session.add(DashboardDuration(agency_id=agency_id, day=day, working_days=days, files=files))
        row = DashboardDay(agency_id=agency_id, day=day, aggregated_at=utcnow(), **values)
        row.overdue_snapshot = (snapshot or {}).get(agency_id, 0) if snapshot is not None else None
        for name, value in voices[agency_id].items():
            setattr(row, name, value)
        db.session.add(row)
    db.session.flush()
    months.write_month(agency_ids, day)
    memo.changed(province.id)
    return DayReport(day=day, facts=len(application_ids), agencies=len(sums))


def first_day(province: Province) -> date | None:
    calendar = ProvinceCalendar.for_province(province)
    first = db.session.scalar(
        select(func.min(Application.submitted_at))
        .join(Agency, Agency.id == Application.receiving_agency_id)
        .where(Agency.province_id == province.id)
    )
    return _local_day(calendar, first)


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
