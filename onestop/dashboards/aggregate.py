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
from onestop.procedures.filing import document_slots
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
from onestop.results.models import SignedDocument, SignedKind, SigningState

BATCH = 500
SUMMARIES = (DashboardDay, DashboardDuration, DashboardMonth, DashboardMonthDuration)
PAID_STATES = (OrderState.PAID, OrderState.REFUNDING, OrderState.REFUNDED)


@dataclass(frozen=True)
class DayReport:
    day: date
    facts: int
    agencies: int


@dataclass(frozen=True)
class Evidence:
    """What a file's fact needs from other tables, read for a whole chunk of files at once."""

    reused: bool = False
    order: PaymentOrder | None = None
    # At least one paper attached.
    has_papers: bool = False
    # Its signed result (not a refusal letter) was put in the applicant's warehouse.
    result_stored: bool = False
    # Rated unsatisfied, or feedback or a complaint about it (sources.dissatisfied_application_ids).
    dissatisfied: bool = False


# The fact columns summed by the day a file was filed, and by the day it was decided (see _sums).
ARRIVAL = ("agency_id", "submitted_day", "online", "full_level", "reused", "digitised", "shared_for_reuse")
DECISION = (
    "agency_id",
    "finished_day",
    "decided",
    "on_time",
    "refused",
    "returned",
    "returned_online",
    "had_fee",
    "paid_online",
    "service_ok",
    "working_days",
)


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


def asks_for_no_paper(application: Application) -> bool:
    """Whether the version the file was filed under requires no paper for its answers."""
    return not any(slot["is_required"] for slot in document_slots(application))


def fact_for(
    application: Application, calendar: ProvinceCalendar, staff_ids: set[int], evidence: Evidence
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
    order = evidence.order
    papers_held = evidence.has_papers or asks_for_no_paper(application)
    return DashboardFact(
        application_id=application.id,
        agency_id=application.receiving_agency_id,
        procedure_id=application.procedure_id,
        submitted_day=_local_day(calendar, application.submitted_at),
        finished_day=finished_day,
        online=application.submitter_id not in staff_ids,
        full_level=application.procedure.online_level == OnlineLevel.FULL,
        reused=evidence.reused,
        decided=decided,
        on_time=on_time,
        refused=state is ApplicationState.REFUSED and finished is not None,
        returned=returned,
        returned_online=returned and application.result_delivery == ResultDelivery.ONLINE,
        had_fee=decided and order is not None and order.amount > 0,
        paid_online=decided and order is not None and order.amount > 0 and order.state in PAID_STATES,
        digitised=papers_held and (not returned or evidence.result_stored),
        shared_for_reuse=evidence.reused or evidence.result_stored,
        service_ok=on_time and not evidence.dissatisfied,
        working_days=working_days,
    )


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


def _evidence(chunk: list[int]) -> dict[int, Evidence]:
    """The other tables' part of each file's fact, in one query per table for the chunk."""
    reused_ids = set(
        db.session.scalars(
            select(ApplicationDocument.application_id)
            .join(Document, Document.id == ApplicationDocument.document_id)
            .join(Application, Application.id == ApplicationDocument.application_id)
            .where(ApplicationDocument.application_id.in_(chunk), Document.created_at < Application.created_at)
        )
    )
    with_papers = set(
        db.session.scalars(
            select(ApplicationDocument.application_id).where(ApplicationDocument.application_id.in_(chunk)).distinct()
        )
    )
    stored = set(
        db.session.scalars(
            select(SignedDocument.application_id).where(
                SignedDocument.application_id.in_(chunk),
                SignedDocument.kind == SignedKind.RESULT.value,
                SignedDocument.state == SigningState.SIGNED.value,
                SignedDocument.document_id.is_not(None),
            )
        )
    )
    orders = {
        order.application_id: order
        for order in db.session.scalars(select(PaymentOrder).where(PaymentOrder.application_id.in_(chunk)))
    }
    dissatisfied = sources.dissatisfied_application_ids(chunk)
    return {
        application_id: Evidence(
            reused=application_id in reused_ids,
            order=orders.get(application_id),
            has_papers=application_id in with_papers,
            result_stored=application_id in stored,
            dissatisfied=application_id in dissatisfied,
        )
        for application_id in chunk
    }


def _fact_sides(values: dict) -> tuple[tuple, tuple]:
    return tuple(values[name] for name in ARRIVAL), tuple(values[name] for name in DECISION)


def _write_facts(application_ids: list[int], calendar: ProvinceCalendar) -> set[date]:
    """Write the files' facts again; returns the days whose sums a changed fact moves (filed or decided)."""
    moved: set[date] = set()
    columns = [DashboardFact.__table__.c[name] for name in dict.fromkeys(ARRIVAL + DECISION)]
    for chunk in _chunks(application_ids):
        applications = db.session.scalars(
            select(Application)
            .where(Application.id.in_(chunk))
            .options(
                selectinload(Application.clock),
                selectinload(Application.procedure),
                selectinload(Application.procedure_version),
            )
        ).all()
        submitters = {application.submitter_id for application in applications}
        staff_ids = set(db.session.scalars(select(User.id).where(User.id.in_(submitters), User.role != Role.CITIZEN)))
        evidence = _evidence(chunk)
        before = {
            row.application_id: _fact_sides(row._asdict())
            for row in db.session.execute(
                select(DashboardFact.application_id, *columns).where(DashboardFact.application_id.in_(chunk))
            )
        }
        db.session.execute(delete(DashboardFact).where(DashboardFact.application_id.in_(chunk)))
        for application in applications:
            fact = fact_for(application, calendar, staff_ids, evidence[application.id])
            db.session.add(fact)
            arrival, decision = _fact_sides({column.key: getattr(fact, column.key) for column in columns})
            old_arrival, old_decision = before.get(application.id, ((None,) * len(ARRIVAL), (None,) * len(DECISION)))
            # Index 1 of each side is its day.
            if arrival != old_arrival:
                moved.update(day for day in (arrival[1], old_arrival[1]) if day is not None)
            if decision != old_decision:
                moved.update(day for day in (decision[1], old_decision[1]) if day is not None)
        db.session.flush()
        # Keep memory flat on big days: these rows are not needed again.
        for application in applications:
            db.session.expunge(application)
    return moved


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
    moved = _write_facts(application_ids, calendar)
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
