"""A pack tried before it is loaded: one synthetic application per procedure, through routing, fees,
deadlines and slips, inside a transaction that is rolled back, so nothing is written.

`flask --app wsgi province check PATH --dry-run [--on YYYY-MM-DD]` prints, for each procedure, the
agency that receives it, every step with its agency, role and due time (each step taken to use its
whole budget, from 08:00 on the given day), the result's due date, the fee for the form's default
answers and the slips the file would get, each rendered to a PDF to prove that it renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.procedures.models import (
    Application,
    ApplicationState,
    ClockEntry,
    ClockKind,
    IssuedSlip,
    Procedure,
    ProcedureVersion,
    SlipKind,
    StepOutcome,
)
from onestop.provinces.models import Province


@dataclass
class StepReport:
    step: str
    stage: str
    agency: str
    role: str
    entered_at: datetime
    due_at: datetime | None


@dataclass
class ProcedureReport:
    code: str
    name: str
    receiving_agency: str = ""
    steps: list[StepReport] = field(default_factory=list)
    due_on: date | None = None
    fee: int | None = None
    slips: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def dry_run(pack, on: date) -> list[ProcedureReport]:
    """Load `pack` and file one application per procedure, then roll everything back."""
    from onestop.provinces.services import apply_pack

    reports = []
    outer = db.session.begin_nested()
    try:
        apply_pack(pack)
        db.session.flush()
        province = db.session.scalar(select(Province).where(Province.code == pack.province.code))
        procedures = db.session.scalars(
            select(Procedure)
            .where(Procedure.province_id == province.id, Procedure.is_active.is_(True))
            .order_by(Procedure.code)
        ).all()
        for procedure in procedures:
            reports.append(_file_one(procedure, province, on))
    finally:
        outer.rollback()
        db.session.rollback()
    return reports


def _file_one(procedure: Procedure, province: Province, on: date) -> ProcedureReport:
    from onestop import localtime
    from onestop.procedures.workflow import steps
    from onestop.procedures.workflow.common import refresh_due

    report = ProcedureReport(code=procedure.code, name=procedure.display_name())
    savepoint = db.session.begin_nested()
    try:
        moment = datetime.combine(on, time(8, 0), tzinfo=localtime.zone(province))
        version = db.session.scalar(
            select(ProcedureVersion).where(
                ProcedureVersion.procedure_id == procedure.id, ProcedureVersion.number == procedure.version
            )
        )
        receiver, answers = _receiver(version, province)
        citizen = User(full_name="Nguyễn Văn Thử", citizen_id="001090000001", role=Role.CITIZEN, facts={})
        db.session.add(citizen)
        db.session.flush()
        application = Application(
            procedure=procedure,
            procedure_version=version,
            receiving_agency_id=receiver.id,
            applicant_id=citizen.id,
            submitter_id=citizen.id,
            state=ApplicationState.DRAFT,
            answers=answers,
            completed_steps=[],
            code=f"DRYRUN-{procedure.id}",
            submitted_at=moment,
        )
        db.session.add(application)
        db.session.flush()
        report.receiving_agency = application.receiving_agency.display_name()
        steps.enter_group(application, 0, moment)
        application.accepted_at = moment
        application.clock.append(
            ClockEntry(kind=ClockKind.START, at=moment, working_days=_legal_days(application), reason="dry run")
        )
        refresh_due(application)
        report.due_on = application.due_on
        # Each group takes its whole budget: the next starts when the slowest step of this one is due.
        at = moment
        route = steps.route_of(application)
        for index in range(1, len(route.groups)):
            steps.leave_all(application, StepOutcome.DONE, at)
            steps.enter_group(application, index, at)
            opened = [row for row in application.steps if row.group_index == index and row.left_at is None]
            at = max((row.due_at for row in opened if row.due_at), default=at)
        report.steps = [
            StepReport(
                row.step_id, row.stage, row.agency.display_name(), Role(row.role).title, row.entered_at, row.due_at
            )
            for row in application.steps
        ]
        report.fee = _fee(application)
        report.slips = _slips(application)
    except Exception as problem:
        report.problems.append(str(problem) or problem.__class__.__name__)
    finally:
        savepoint.rollback()
    return report


def _receiver(version: ProcedureVersion, province: Province):
    """The first agency that receives the procedure, and the answers that make it the receiver."""
    from onestop.procedures import route

    rule = route.rule_of(version.definition)
    listed = route.receivers(rule, province)
    if not listed:
        raise ValueError("no agency receives this procedure")
    unit, agency = listed[0]
    if rule.kind == "by_address":
        return agency, {rule.field: {"unit": unit, "street": "1 Đường Thử"}}
    if rule.kind == "any_of":
        return agency, {route.CHOSEN_RECEIVER: agency.code}
    return agency, {}


def _legal_days(application: Application) -> int:
    from onestop.procedures.workflow.common import processing_days

    return processing_days(application)


def _fee(application: Application) -> int | None:
    from onestop.payments.services import quote_for

    quote = quote_for(application)
    return quote.total if quote else None


def _slips(application: Application) -> list[str]:
    from onestop.office import slips as slip_records
    from onestop.procedures.workflow.facts import slip_facts
    from onestop.slips.render import render_pdf

    receipt = IssuedSlip(kind=SlipKind.RECEIPT, facts=slip_facts(application, None))
    application.slips.append(receipt)
    receipt.issued_at = application.accepted_at
    issued = [("Mẫu 01", render_pdf(slip_records.issued_slip(receipt)))]
    issued.append(("Mẫu 05", render_pdf(slip_records.control_slip(application))))
    return [f"{name} ({len(pdf) // 1024} KB)" for name, pdf in issued]
