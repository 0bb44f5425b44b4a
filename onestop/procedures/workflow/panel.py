"""The officer's side of a file: what they may do and how each form reads, decided here, not in templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from onestop.accounts.models import Role, User
from onestop.procedures.models import Application, ApplicationState
from onestop.procedures.route import Step
from onestop.procedures.workflow import steps
from onestop.procedures.workflow.facts import applicant_address
from onestop.procedures.workflow.present import (
    StepLine,
    staff_state_title,
    step_lines,
    who_acts_next,
)
from onestop.procedures.workflow.processing import Decision, specialists_of
from onestop.procedures.workflow.table import LABELS, Action, offers


@dataclass(frozen=True)
class Choice:
    value: int | str
    label: str


@dataclass
class Panel:
    state_title: str
    who_next: str
    actions: set[Action]
    labels: dict[Action, str]
    assign_choices: list[Choice] = field(default_factory=list)
    assign_button: str = ""
    approve_button: str = ""
    # The paper copy of a signed result: the signed PDF to print, and how it leaves (handed over, or posted).
    signed_result_id: int | None = None
    hands_over_by_post: bool = False
    post_to: str = ""
    proposal: str = ""
    send_back_choices: list[Choice] = field(default_factory=list)
    steps: list[StepLine] = field(default_factory=list)
    opinions: list[StepLine] = field(default_factory=list)
    clock_stopped: bool = False
    # The thread between the applicant and the agency that received the file is that agency's alone.
    shows_thread: bool = True

    def can(self, action: Action) -> bool:
        return action in self.actions


def panel_for(officer: User, application: Application) -> Panel:
    permits = offers(officer, application)
    lines = step_lines(application)
    by_action = {permit.transition.action: permit for permit in permits}
    panel = Panel(
        state_title=staff_state_title(application),
        who_next=who_acts_next(application),
        actions=set(by_action),
        labels=dict(LABELS),
        steps=lines,
        opinions=[line for line in lines if line.opinion],  # the co-ordinating agencies' answers
        shows_thread=officer.agency_id == application.receiving_agency_id,
        clock_stopped=application.state_enum is ApplicationState.SUPPLEMENT_REQUESTED
        and application.resume_state == ApplicationState.IN_PROGRESS,
    )
    if application.proposal:
        decision = _("Issue the result") if application.proposal == Decision.APPROVE else _("Refuse")
        panel.proposal = f"{decision}: {application.proposal_note}" if application.proposal_note else decision
    if Action.ASSIGN in by_action:
        step = by_action[Action.ASSIGN].step
        taking = officer.role == Role.SPECIALIST
        panel.assign_choices = [
            Choice(user.id, f"{user.full_name} ({user.email})")
            for user in specialists_of(application, step.agency_id)
            if (not taking or user.id == officer.id) and user.id != step.holder_id
        ]
        panel.assign_button = _("Take this file") if taking else LABELS[Action.ASSIGN]
        if not panel.assign_choices:  # the only specialist who could take it already holds it
            panel.actions.discard(Action.ASSIGN)
    if Action.DELIVER in by_action:
        from onestop.results.handover import by_post, signed_result_of

        signed = signed_result_of(application)
        panel.signed_result_id = signed.document_id if signed else None
        panel.hands_over_by_post = by_post(application)
        if panel.hands_over_by_post:
            panel.post_to = applicant_address(application.applicant, application.receiving_agency.province)
        if panel.signed_result_id is None:  # nothing signed to hand over: the leader approves by signing first
            panel.actions.discard(Action.DELIVER)
    if Action.APPROVE in by_action:
        refusing = application.proposal == Decision.REFUSE
        panel.approve_button = _("Approve the refusal and sign") if refusing else str(LABELS[Action.APPROVE])
    if Action.SEND_BACK in by_action:
        targets: list[Step] = steps.send_back_targets(application, by_action[Action.SEND_BACK].step)
        panel.send_back_choices = [Choice(step.id, _step_name(step)) for step in targets]
    return panel


def _step_name(step: Step) -> str:
    from onestop.i18n import localized
    from onestop.procedures.workflow.present import STAGE_TITLES

    return localized(step.title) if step.title else str(STAGE_TITLES[step.stage])
