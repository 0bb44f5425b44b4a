"""Back-office queues: filtered, sorted lists of an agency's applications, paged with keyset pagination.

Every list is one indexed range scan on `application` (see the indexes in
onestop/procedures/models/application.py): the agency, optionally the state, then the sort key and
the id as a tie-breaker. A page is asked for "after" the last row of the previous one, never with
OFFSET, so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, exists, func, or_, select, tuple_
from sqlalchemy.orm import defer, joinedload, selectinload

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.inputs import row_id
from onestop.procedures.models import (
    COUNTER_STATES,
    DECIDED_STATES,
    RUNNING_STATES,
    Application,
    ApplicationState,
    ApplicationStep,
    Procedure,
)
from onestop.procedures.route import Stage

PAGE_SIZE = 50


class Tab(enum.StrEnum):
    COUNTER = "counter"  # the reception clerks' work: files to check and results to issue
    NEW = "new"  # submitted, waiting for the reception clerk
    MINE = "mine"  # held by me
    RECEIVED = "received"  # accepted, waiting for a specialist
    IN_PROGRESS = "in_progress"
    APPROVAL = "approval"  # waiting for a leader's decision
    APPROVED = "approved"  # result to be issued
    CITIZEN = "citizen"  # waiting for the citizen's missing items
    CONSULTED = "consulted"  # another agency's files sent to us for our opinion (a co-ordination step)
    OVERDUE = "overdue"
    FINISHED = "finished"  # returned, refused or withdrawn


TAB_STATES = {
    Tab.COUNTER: sorted(COUNTER_STATES),
    Tab.NEW: [ApplicationState.SUBMITTED],
    Tab.RECEIVED: [ApplicationState.RECEIVED],
    Tab.IN_PROGRESS: [ApplicationState.IN_PROGRESS],
    Tab.APPROVAL: [ApplicationState.AWAITING_APPROVAL],
    Tab.APPROVED: [ApplicationState.APPROVED],
    Tab.CITIZEN: [ApplicationState.SUPPLEMENT_REQUESTED],
    # Lists of several states read a partial index over exactly those (models/application.py).
    Tab.FINISHED: sorted(DECIDED_STATES),
    Tab.MINE: sorted(RUNNING_STATES),
    Tab.OVERDUE: sorted(RUNNING_STATES),
}


class Sort(enum.StrEnum):
    SUBMITTED = "submitted"  # oldest first: first come, first served
    DUE = "due"  # soonest due first
    WAITING = "waiting"  # waiting longest first, since the file last changed (the reception clerks' work)


class DueWithin(enum.StrEnum):
    ANY = ""
    TODAY = "today"
    WEEK = "week"


@dataclass(frozen=True)
class QueueQuery:
    tab: Tab
    sort: Sort = Sort.SUBMITTED
    procedure_id: int | None = None
    due: DueWithin = DueWithin.ANY
    after: str | None = None  # the cursor: "<sort value>|<id>" of the last row already shown


def default_tab(user: User) -> Tab:
    return {"clerk": Tab.COUNTER, "specialist": Tab.MINE, "leader": Tab.APPROVAL}.get(str(user.role), Tab.COUNTER)


def _cursor(row: Application, sort: Sort) -> str:
    value = row.due_on.isoformat() if sort is Sort.DUE else _KEYS[sort](row).isoformat()
    return f"{value}|{row.id}"


_KEYS = {Sort.SUBMITTED: lambda row: row.submitted_at, Sort.WAITING: lambda row: row.updated_at}


def _parse_cursor(cursor: str | None, sort: Sort):
    if not cursor or "|" not in cursor:
        return None
    value, _sep, ident = cursor.rpartition("|")
    try:
        key = date.fromisoformat(value) if sort is Sort.DUE else datetime.fromisoformat(value)
        return key, row_id(ident)
    except ValueError:
        return None


def effective_sort(query: QueueQuery) -> Sort:
    # Reception and finished work have no running clock: they are sorted by when they arrived.
    if query.tab is Tab.COUNTER:
        return Sort.WAITING
    if query.tab in (Tab.NEW, Tab.CITIZEN, Tab.FINISHED):
        return Sort.SUBMITTED
    if query.tab is Tab.OVERDUE:
        return Sort.DUE
    return Sort.SUBMITTED if query.sort is Sort.WAITING else query.sort


# What a list row shows: the procedure's name (its definition, kilobytes of JSON, stays unread), the
# applicant and the holder, loaded with the page's one SELECT.
_LIST_ROW = (
    joinedload(Application.procedure).load_only(Procedure.code, Procedure.name),
    joinedload(Application.applicant),
    joinedload(Application.holder),
    defer(Application.answers),
    defer(Application.completed_steps),
)


def queue_statement(user: User, query: QueueQuery, today: date, limit: int = PAGE_SIZE) -> Select:
    """The one SELECT behind a page: `limit` + 1 rows, to know whether there is a next page.

    Apart from `queue_page`, the benchmark and the tests read its plan (EXPLAIN) to check the index.
    """
    sort = effective_sort(query)
    key = {Sort.DUE: Application.due_on, Sort.WAITING: Application.updated_at}.get(sort, Application.submitted_at)
    if query.tab is Tab.CONSULTED:
        return _consulted_statement(user, query, limit)
    conditions = [Application.receiving_agency_id == user.agency_id]
    states = TAB_STATES[query.tab]
    conditions.append(
        Application.state.in_([str(state) for state in states])
        if len(states) > 1
        else Application.state == str(states[0])
    )
    if query.tab is Tab.MINE:
        conditions.append(Application.holder_id == user.id)
    if query.tab is Tab.OVERDUE:
        conditions.append(Application.due_on < today)
    if query.procedure_id:
        conditions.append(Application.procedure_id == query.procedure_id)
    if query.due is DueWithin.TODAY:
        conditions.append(Application.due_on <= today)
    elif query.due is DueWithin.WEEK:
        conditions.append(Application.due_on <= today + timedelta(days=7))
    if sort is Sort.DUE:
        conditions.append(Application.due_on.is_not(None))
    position = _parse_cursor(query.after, sort)
    if position is not None:
        value, ident = position
        # A row comparison is a range of the index (sort key, id): a page far down starts reading where
        # the last one ended. Written as an OR, it would filter every row before it.
        conditions.append(tuple_(key, Application.id) > tuple_(value, ident))
    return select(Application).where(*conditions).order_by(key, Application.id).limit(limit + 1).options(*_LIST_ROW)


def _consulted_statement(user: User, query: QueueQuery, limit: int) -> Select:
    """Files of other agencies with a co-ordination step open at ours, oldest request first.

    The page of steps is chosen first, from the open-step index (agency, stage, entered_at, id), and
    only its rows are joined to their files: with the join outside the LIMIT, the planner may read
    every open step of the agency, join each to its file and sort them all when it underestimates how
    many there are. The cursor is the step's (entered_at, id).
    """
    step = ApplicationStep
    page = select(step.application_id, step.entered_at, step.id).where(
        step.agency_id == user.agency_id, step.stage == str(Stage.COORDINATION), step.left_at.is_(None)
    )
    if query.procedure_id:
        page = page.join(Application, Application.id == step.application_id).where(
            Application.procedure_id == query.procedure_id
        )
    position = _parse_cursor(query.after, Sort.SUBMITTED)
    if position is not None:
        page = page.where(tuple_(step.entered_at, step.id) > tuple_(*position))
    page = page.order_by(step.entered_at, step.id).limit(limit + 1).subquery("page")
    return (
        select(Application, page.c.entered_at, page.c.id)
        .join(page, page.c.application_id == Application.id)
        .order_by(page.c.entered_at, page.c.id)
        .options(*_LIST_ROW, selectinload(Application.steps))
    )


def queue_page(
    user: User, query: QueueQuery, today: date, limit: int = PAGE_SIZE
) -> tuple[list[Application], str | None]:
    """One page of the agency's queue for this officer, and the cursor of the next page (or None)."""
    sort = effective_sort(query)
    if query.tab is Tab.CONSULTED:
        found = db.session.execute(queue_statement(user, query, today, limit)).unique().all()
        more = len(found) > limit
        found = found[:limit]
        cursor = f"{found[-1][1].isoformat()}|{found[-1][2]}" if more and found else None
        return [row[0] for row in found], cursor
    rows = list(db.session.scalars(queue_statement(user, query, today, limit)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_cursor(rows[-1], sort) if more and rows else None)


def overdue(application: Application, today: date) -> bool:
    return application.due_on is not None and application.state_enum in RUNNING_STATES and application.due_on < today


SEARCH_LIMIT = 50


def find(user: User, text: str) -> list[Application]:
    """The agency's files (received here, or with a step here) by code, the applicant's ID number or name."""
    from onestop.accounts.models import User as Applicant

    text = " ".join((text or "").split())[:100]
    if not text:
        return []
    code = text.replace(" ", "").upper()
    ours = or_(
        Application.receiving_agency_id == user.agency_id,
        exists().where(ApplicationStep.application_id == Application.id, ApplicationStep.agency_id == user.agency_id),
    )
    matches = [Application.code == code]
    if code.isdigit():
        matches.append(Applicant.citizen_id == code)
    else:
        matches.append(func.lower(Applicant.full_name).contains(text.lower()))
    statement = (
        select(Application)
        .join(Applicant, Applicant.id == Application.applicant_id)
        .where(Application.state != str(ApplicationState.DRAFT), ours, or_(*matches))
        .order_by(Application.submitted_at.desc(), Application.id.desc())
        .limit(SEARCH_LIMIT)
        .options(*_LIST_ROW, selectinload(Application.steps))
    )
    return list(db.session.scalars(statement).unique())


def countdowns(user: User, rows: list[Application], calendar, today: date) -> dict:
    """What each row's flag counts down to: the step open at the officer's agency when it has a due time of
    its own (a co-ordinating agency answers to its step's budget), else the file's due date."""
    from onestop.procedures import clock

    found = {}
    for row in rows:
        # Only another agency's file can be at a step of ours; its steps come with the page (selectinload).
        own = (
            [step for step in row.steps if step.left_at is None and step.agency_id == user.agency_id and step.due_at]
            if row.receiving_agency_id != user.agency_id
            else []
        )
        if own:
            found[row.id] = clock.countdown_to(calendar.local(own[0].due_at).date(), calendar, today)
        else:
            found[row.id] = clock.countdown(row, calendar)
    return found
