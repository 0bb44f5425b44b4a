"""What the index asks of each application: its fact row, written again whenever the file is touched.

A fact says once, for one application, whether it was filed online, decided on time, refused, paid online,
digitised, shared for reuse, and how many working days its clock ran (docs/service-index.md gives each
rule). `write_facts` rewrites the facts of a batch of files, reading the other tables they depend on (papers,
payments, signed results, ratings and complaints) once per batch, and says which days' sums the changes move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from onestop.accounts.models import Role, User
from onestop.dashboards import sources
from onestop.dashboards.models import (
    DashboardFact,
)
from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.payments.models import OrderState, PaymentOrder
from onestop.procedures.calendar import ProvinceCalendar
from onestop.procedures.clock import same_day_cutoff, working_days_between
from onestop.procedures.filing import document_slots
from onestop.procedures.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
    ClockKind,
    OnlineLevel,
    ResultDelivery,
)
from onestop.results.models import SignedDocument, SignedKind, SigningState

BATCH = 500
PAID_STATES = (OrderState.PAID, OrderState.REFUNDING, OrderState.REFUNDED)


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


def local_day(calendar: ProvinceCalendar, moment: datetime | None) -> date | None:
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
    finished_day = local_day(calendar, finished)
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
        submitted_day=local_day(calendar, application.submitted_at),
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


def chunks(values: list[int]):
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


def write_facts(application_ids: list[int], calendar: ProvinceCalendar) -> set[date]:
    """Write the files' facts again; returns the days whose sums a changed fact moves (filed or decided)."""
    moved: set[date] = set()
    columns = [DashboardFact.__table__.c[name] for name in dict.fromkeys(ARRIVAL + DECISION)]
    for chunk in chunks(application_ids):
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
