"""The route at run time: entering and leaving steps, who owns them, and when each is due.

An application carries the route of the procedure version it was filed under. Entering a group of
steps writes one `ApplicationStep` row per step (its agency, role, budget and due time); leaving one
writes when and how. When every step of a group is done, the file enters the next group; after the
last, it is finished. The lifecycle state follows the stage of the open steps (table.STAGE_STATES).
"""

from __future__ import annotations

from datetime import datetime

from onestop.accounts.models import User
from onestop.models import utcnow
from onestop.procedures import clock
from onestop.procedures.models import Application, ApplicationState, ApplicationStep, StepOutcome
from onestop.procedures.route import Route, Stage, Step, resolve_agency
from onestop.procedures.workflow.table import STAGE_STATES, open_steps

S = ApplicationState


def route_of(application: Application) -> Route:
    return Route.from_definition(application.definition.get("route"))


def step_due(step: Step, entered_at: datetime, application: Application) -> datetime | None:
    """When a step entered at `entered_at` is due: its budget counted on the province calendar."""
    calendar = clock.calendar_for(application)
    if step.budget.hours is not None:
        return calendar.add_working_hours(entered_at, step.budget.hours)
    if step.budget.days is not None:
        return days_due(calendar, entered_at, step.budget.days)
    return None


# Hand-overs inside the administration have no afternoon cut-off: that rule is about when a citizen files.
_NO_CUTOFF = "23:59"


def days_due(calendar, entered_at: datetime, days: int) -> datetime:
    """The close of office on the `days`-th working day after the day the step was entered."""
    return calendar.end_of_day(calendar.due_date(entered_at, days, cutoff=_NO_CUTOFF).day)


def _visit(application: Application, step: Step, index: int, now: datetime, holder_id: int | None) -> ApplicationStep:
    """A new visit of the file to `step`: its agency, role, budget and due time, written to the log."""
    agency = resolve_agency(step.agency, application)
    row = ApplicationStep(
        step_id=step.id,
        stage=str(step.stage),
        group_index=index,
        agency_id=agency.id,
        agency=agency,
        role=step.role,
        entered_at=now,
        budget_days=step.budget.days,
        budget_hours=step.budget.hours,
        due_at=step_due(step, now, application),
        holder_id=holder_id if step.stage is Stage.PROCESSING else None,
    )
    application.steps.append(row)
    return row


def _follow(application: Application, lead: ApplicationStep) -> None:
    """The file's state and holder follow the step now at work (the first of its group)."""
    state = STAGE_STATES[Stage(lead.stage)]
    if lead.stage == Stage.PROCESSING and lead.holder_id is None:
        state = S.RECEIVED
    application.state = state
    application.holder_id = lead.holder_id


def enter_group(application: Application, index: int, now: datetime | None = None, holder_id: int | None = None):
    """Open every step of the route's group `index`; the file's state follows their stage."""
    now = now or utcnow()
    route = route_of(application)
    if index >= len(route.groups):
        return
    rows = [_visit(application, step, index, now, holder_id) for step in route.groups[index]]
    _follow(application, rows[0])
    if index > 0:  # the first group is the reception: filing and transfer tell its clerks themselves
        from onestop.procedures.workflow.notices import tell_step_opened

        tell_step_opened(application, rows)


def leave(row: ApplicationStep, outcome: StepOutcome, now: datetime | None = None) -> None:
    row.left_at = now or utcnow()
    row.outcome = outcome


def leave_all(application: Application, outcome: StepOutcome, now: datetime | None = None) -> None:
    for row in open_steps(application):
        leave(row, outcome, now)
    application.holder_id = None


def finish_step(application: Application, row: ApplicationStep, now: datetime | None = None) -> bool:
    """Close a done step; enter the next group once its whole group is done. True if the file moved on."""
    now = now or utcnow()
    leave(row, StepOutcome.DONE, now)
    if any(other.group_index == row.group_index for other in open_steps(application)):
        return False  # a parallel step of the same group is still at work
    next_index = row.group_index + 1
    if next_index >= len(route_of(application).groups):
        application.holder_id = None
        return True
    enter_group(application, next_index, now)
    return True


def first_group_of(application: Application, stage: Stage) -> int | None:
    for index, group in enumerate(route_of(application).groups):
        if any(step.stage is stage for step in group):
            return index
    return None


def skip_to(application: Application, row: ApplicationStep, stage: Stage, now: datetime | None = None) -> None:
    """Close `row` and go straight to the route's first group of `stage` (a refusal needs no co-ordination)."""
    now = now or utcnow()
    leave(row, StepOutcome.DONE, now)
    index = first_group_of(application, stage)
    if index is not None and index > row.group_index:
        enter_group(application, index, now)


def send_back_targets(application: Application, row: ApplicationStep) -> list[Step]:
    """The earlier steps this one may send the file back to, nearest first."""
    step = route_of(application).step(row.step_id)
    route = route_of(application)
    names = (
        step.send_back_to
        or tuple(
            earlier.id
            for earlier in route.steps()
            if earlier.stage is Stage.PROCESSING and route.group_index(earlier.id) < row.group_index
        )[-1:]
    )
    return [route.step(name) for name in names]


def send_back(application: Application, row: ApplicationStep, step_id: str, now: datetime | None = None) -> None:
    """Close `row` and re-open the named earlier step, with the officer who held it last."""
    now = now or utcnow()
    leave(row, StepOutcome.SENT_BACK, now)
    route = route_of(application)
    previous = [visit for visit in application.steps if visit.step_id == step_id and visit.holder_id]
    holder = previous[-1].holder_id if previous else None
    _follow(application, _visit(application, route.step(step_id), route.group_index(step_id), now, holder))


def suspend(application: Application, now: datetime | None = None) -> list[str]:
    """The applicant was asked for missing items: the open steps stop; their ids, to start them again."""
    rows = open_steps(application)
    for row in rows:
        leave(row, StepOutcome.SUSPENDED, now)
    return [row.step_id for row in rows]


def resume(application: Application, step_ids: list[str], now: datetime | None = None) -> None:
    """The complete file is back: the suspended steps start again, each with its whole budget."""
    now = now or utcnow()
    route = route_of(application)
    holders = {visit.step_id: visit.holder_id for visit in application.steps if visit.holder_id}
    for step_id in step_ids:
        _visit(application, route.step(step_id), route.group_index(step_id), now, holders.get(step_id))


def hold(row: ApplicationStep, officer: User) -> None:
    row.holder_id = officer.id
