"""The lifecycle as one declared table, and the one answer to "what may this person do on this file now".

Every transition names the states it starts from, the route stage whose open step it acts on (if
any), who may take it, and where the file goes: a lifecycle state, or a move along the procedure's
route (the next group of steps, back to an earlier step, back to where a supplement was asked, or
nowhere). Services ask `check()`; pages ask `offers()`; nothing else decides.

    draft ─submit→ [reception] ─accept→ [processing] ─propose→ ([co-ordination] ─answer→) [approval]
    ─approve→ [delivery] ─deliver→ returned;   [approval] ─send back→ an earlier step;
    (approving is signing, onestop/results/signing.py: a result that comes online is delivered in the same
    change; a paper one is delivered when the reception clerk hands it over or posts it, results/handover.py)
    [reception]/[processing] ─request supplement→ supplement_requested ─answer supplement→ (back);
    [reception] ─refuse→ refused;  [reception] ─transfer→ [reception] at another agency;
    draft/[reception] ─withdraw→ withdrawn.
A step's stage maps to the lifecycle state: reception = submitted, processing = received (nobody
holds it yet) or in_progress, co-ordination = in_progress, approval = awaiting_approval, delivery =
approved.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from onestop.accounts.models import Role, User
from onestop.procedures.models import RUNNING_STATES, Application, ApplicationState, ApplicationStep, StepOutcome
from onestop.procedures.route import Stage

S = ApplicationState


class Action(enum.StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    REQUEST_SUPPLEMENT = "request_supplement"
    ANSWER_SUPPLEMENT = "answer_supplement"
    REFUSE = "refuse"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    PROPOSE = "propose"
    ANSWER = "answer"  # a co-ordinating agency gives its opinion
    APPROVE = "approve"
    SEND_BACK = "send_back"
    DELIVER = "deliver"
    APOLOGISE = "apologise"


class Move(enum.StrEnum):
    NEXT = "next"  # leave the step; when its whole group is done, enter the route's next group
    BACK = "back"  # to an earlier step the route lets this one send back to
    RESUME = "resume"  # to where the supplement was asked
    STAY = "stay"  # the state does not change


class Who(enum.StrEnum):
    FILER = "filer"  # the applicant, or whoever files for them (a relative, a counter clerk)
    STEP = "step"  # staff of the agency owning the open step, in the step's role
    STEP_LEADER = "step_leader"  # a leader of the agency owning the open step
    LEAD_LEADER = "lead_leader"  # a leader of the agency that received the file


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[ApplicationState]
    who: frozenset[Who]
    target: ApplicationState | Move
    label: str
    stage: Stage | None = None  # the open step it acts on
    holder_only: bool = False  # only the officer holding that step


def _t(action, sources, who, target, label, stage=None, holder_only=False) -> Transition:
    return Transition(action, frozenset(sources), frozenset(who), target, label, stage, bool(holder_only))


F, STEP, STEP_LEADER, LEAD_LEADER = Who.FILER, Who.STEP, Who.STEP_LEADER, Who.LEAD_LEADER
R, P, C, A, D = Stage.RECEPTION, Stage.PROCESSING, Stage.COORDINATION, Stage.APPROVAL, Stage.DELIVERY
TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.SUBMIT, {S.DRAFT}, {F}, Move.NEXT, _l("Send the application")),
    _t(Action.WITHDRAW, {S.DRAFT, S.SUBMITTED, S.SUPPLEMENT_REQUESTED}, {F}, S.WITHDRAWN, _l("Withdraw")),
    _t(Action.ACCEPT, {S.SUBMITTED}, {STEP}, Move.NEXT, _l("Accept"), R),
    _t(Action.REQUEST_SUPPLEMENT, {S.SUBMITTED}, {STEP}, S.SUPPLEMENT_REQUESTED, _l("Ask for missing items"), R),
    _t(
        Action.REQUEST_SUPPLEMENT, {S.IN_PROGRESS}, {STEP}, S.SUPPLEMENT_REQUESTED, _l("Ask for missing items"), P, True
    ),
    _t(Action.ANSWER_SUPPLEMENT, {S.SUPPLEMENT_REQUESTED}, {F}, Move.RESUME, _l("Send the missing items")),
    _t(Action.REFUSE, {S.SUBMITTED}, {STEP}, S.REFUSED, _l("Refuse"), R),
    _t(Action.TRANSFER, {S.SUBMITTED}, {STEP}, Move.STAY, _l("Transfer to another agency"), R),
    _t(Action.ASSIGN, {S.RECEIVED, S.IN_PROGRESS}, {STEP, STEP_LEADER}, S.IN_PROGRESS, _l("Assign"), P),
    _t(Action.PROPOSE, {S.IN_PROGRESS}, {STEP}, Move.NEXT, _l("Propose a decision"), P, True),
    _t(Action.ANSWER, {S.IN_PROGRESS}, {STEP}, Move.NEXT, _l("Give your agency's opinion"), C),
    _t(Action.APPROVE, {S.AWAITING_APPROVAL}, {STEP}, Move.NEXT, _l("Approve and sign"), A),
    _t(Action.SEND_BACK, {S.AWAITING_APPROVAL}, {STEP}, Move.BACK, _l("Send back to the specialist"), A),
    _t(Action.DELIVER, {S.APPROVED}, {STEP}, S.RETURNED, _l("Hand over the signed result"), D),
    _t(Action.APOLOGISE, RUNNING_STATES, {LEAD_LEADER}, Move.STAY, _l("Apologise and set a new date")),
)
LABELS = {transition.action: transition.label for transition in TRANSITIONS}
# The lifecycle state a file is in while a step of each stage is open.
STAGE_STATES = {
    Stage.RECEPTION: S.SUBMITTED,
    Stage.PROCESSING: S.IN_PROGRESS,
    Stage.COORDINATION: S.IN_PROGRESS,
    Stage.APPROVAL: S.AWAITING_APPROVAL,
    Stage.DELIVERY: S.APPROVED,
}


def transition_for(application: Application, action: Action) -> Transition:
    """The row of the table for this action from the application's state (the first, if none fits)."""
    rows = [transition for transition in TRANSITIONS if transition.action is action]
    return next((row for row in rows if application.state_enum in row.sources), rows[0])


@dataclass(frozen=True)
class Permit:
    """An allowed action, with the open step it acts on (None for actions on the whole file)."""

    transition: Transition
    step: ApplicationStep | None


def open_steps(application: Application, stage: Stage | None = None) -> list[ApplicationStep]:
    return [row for row in application.steps if row.left_at is None and (stage is None or row.stage == stage)]


def _is_staff(actor: User) -> bool:
    return bool(actor.is_authenticated and actor.is_active and actor.is_staff and actor.agency_id is not None)


def _step_for(actor: User, application: Application, transition: Transition) -> ApplicationStep | None:
    for row in open_steps(application, transition.stage):
        if row.agency_id != actor.agency_id:
            continue
        if (Who.STEP in transition.who and actor.role == row.role) or (
            Who.STEP_LEADER in transition.who and actor.role == Role.LEADER
        ):
            return row
    return None


def refusal(actor: User, application: Application, transition: Transition) -> tuple[str | None, Permit | None]:
    """Why this person may not take this action now (None and the permit if they may)."""
    if application.state_enum not in transition.sources:
        return _("This cannot be done now: the application is “%(state)s”.", state=application.state_enum.title), None
    step = None
    if transition.stage is not None:
        step = _step_for(actor, application, transition) if _is_staff(actor) else None
        if step is None:
            return _("Your role does not allow this action."), None
        if transition.holder_only and step.holder_id != actor.id:
            return _("Only the officer holding this application can do this."), None
    elif Who.FILER in transition.who:
        if actor.id not in (application.applicant_id, application.submitter_id):
            return _("Only the applicant can do this."), None
    elif Who.LEAD_LEADER in transition.who and not (
        _is_staff(actor) and actor.role == Role.LEADER and actor.agency_id == application.receiving_agency_id
    ):
        return _("Your role does not allow this action."), None
    extra = _rule_refusal(application, transition, step)
    if extra:
        return extra, None
    return None, Permit(transition, step)


def _rule_refusal(application: Application, transition: Transition, step: ApplicationStep | None) -> str | None:
    """Rules of the law beyond who and from where."""
    asked_in_processing = any(request.stage == S.IN_PROGRESS for request in application.supplements)
    if transition.action is Action.REQUEST_SUPPLEMENT and transition.stage is Stage.PROCESSING and asked_in_processing:
        return _("Missing items can be asked for only once during processing.")
    processing_started = application.resume_state not in (None, S.SUBMITTED)
    if transition.action is Action.WITHDRAW and application.state_enum is S.SUPPLEMENT_REQUESTED and processing_started:
        return _("This application can no longer be withdrawn: the agency has started processing it.")
    if transition.action is Action.PROPOSE and step is not None and step.holder_id is None:
        return _("Only the officer holding this application can do this.")
    return None


def may_handle(actor: User, application: Application) -> bool:
    """Staff of the agency that received the file, or of an agency a step of its route was sent to."""
    if not _is_staff(actor) or application.code is None:  # never sent: no agency has ever had it
        return False
    return actor.agency_id == application.receiving_agency_id or any(
        row.agency_id == actor.agency_id and row.outcome != StepOutcome.TRANSFERRED for row in application.steps
    )


def offers(actor: User, application: Application) -> list[Permit]:
    """What this person may do on this file now, in the table's order: pages ask this and nothing else."""
    found = []
    for action in dict.fromkeys(transition.action for transition in TRANSITIONS):
        reason, permit = refusal(actor, application, transition_for(application, action))
        if reason is None:
            found.append(permit)
    return found
