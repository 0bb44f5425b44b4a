"""The application lifecycle of DESIGN.md: one declared table, the route at run time, and the services.

- `table`: the transitions (source states, route stage, who, target) and `offers()`, the one answer to
  "what may this person do on this file now";
- `steps`: entering and leaving the route's steps, their owners and due times;
- `reception`, `processing`: one service per action; each checks the permit, changes the file, writes
  the history event (which payments and the audit trail hear about), moves the clock, issues the slip
  and tells the applicant, then flushes; the request commits all of it at once;
- `present`: titles, timelines, who holds the file, for templates; `facts`: what slips print;
  `thread`: the message thread; `notices`: what the applicant is told.

Two officers acting on the same application at once: its row_version makes the second UPDATE match no
row, and the loser is told (Conflict) with nothing applied.
"""

from onestop.procedures.workflow.common import check, get_for_staff, processing_days
from onestop.procedures.workflow.facts import applicant_address, slip_facts
from onestop.procedures.workflow.present import (
    INTERNAL_ACTIONS,
    SLIP_TITLES,
    citizen_status,
    citizen_timeline,
    event_reason,
    event_title,
    message_authors,
    staff_state_title,
    step_lines,
    who_acts_next,
)
from onestop.procedures.workflow.processing import (
    Decision,
    Opinion,
    answer,
    apologise,
    assign,
    propose,
    send_back,
    specialists_of,
)
from onestop.procedures.workflow.reception import (
    SupplementItem,
    accept,
    answer_supplement,
    open_supplement,
    refuse,
    request_supplement,
    reusable_for_supplement,
    supplement_choices,
    supplement_items,
    supplied,
    supply_document,
    supply_documents,
    transfer,
    transfer_targets,
)
from onestop.procedures.workflow.steps import route_of
from onestop.procedures.workflow.table import LABELS, TRANSITIONS, Action, Permit, may_handle, offers, open_steps
from onestop.procedures.workflow.thread import may_write, post_message

__all__ = [
    "INTERNAL_ACTIONS",
    "LABELS",
    "SLIP_TITLES",
    "TRANSITIONS",
    "Action",
    "Decision",
    "Opinion",
    "Permit",
    "SupplementItem",
    "accept",
    "answer",
    "answer_supplement",
    "apologise",
    "applicant_address",
    "assign",
    "check",
    "citizen_status",
    "citizen_timeline",
    "event_reason",
    "event_title",
    "get_for_staff",
    "may_handle",
    "may_write",
    "message_authors",
    "offers",
    "open_steps",
    "open_supplement",
    "post_message",
    "processing_days",
    "propose",
    "refuse",
    "request_supplement",
    "reusable_for_supplement",
    "route_of",
    "send_back",
    "slip_facts",
    "specialists_of",
    "staff_state_title",
    "step_lines",
    "supplement_choices",
    "supplement_items",
    "supplied",
    "supply_document",
    "supply_documents",
    "transfer",
    "transfer_targets",
    "who_acts_next",
]
