"""The agency's feedback list: open, overdue, answered; soonest due first, paged by keyset like the file queues.

Overdue feedback is flagged the way overdue files are (onestop/office/queues.py): a tag on the row
and a filter of its own, both read from the stored due date against the province's today.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select, tuple_

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.feedback.models import Feedback, FeedbackState
from onestop.inputs import row_id

PAGE_SIZE = 50


class Show(enum.StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    ANSWERED = "answered"


def _parse_cursor(cursor: str | None) -> tuple[date, int] | None:
    if not cursor or "|" not in cursor:
        return None
    value, _sep, ident = cursor.rpartition("|")
    try:
        return date.fromisoformat(value), row_id(ident)
    except ValueError:
        return None


def feedback_page(user: User, show: Show, today: date, after: str | None = None, limit: int = PAGE_SIZE):
    """One page of the officer's agency's feedback, and the cursor of the next page (or None)."""
    if not user.is_staff or user.agency_id is None:
        return [], None
    state = FeedbackState.ANSWERED if show is Show.ANSWERED else FeedbackState.OPEN
    statement = select(Feedback).where(Feedback.agency_id == user.agency_id, Feedback.state == state)
    if show is Show.OVERDUE:
        statement = statement.where(Feedback.due_on < today)
    cursor = _parse_cursor(after)
    if cursor is not None:
        statement = statement.where(tuple_(Feedback.due_on, Feedback.id) > tuple_(*cursor))
    rows = list(db.session.scalars(statement.order_by(Feedback.due_on, Feedback.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (f"{rows[-1].due_on.isoformat()}|{rows[-1].id}" if more and rows else None)


@dataclass(frozen=True)
class Counts:
    """What the agency's dashboard shows of its feedback, satisfied and not satisfied both counted."""

    open: int = 0
    overdue: int = 0
    answered: int = 0
    satisfied: int = 0
    not_satisfied: int = 0


def counts(agency_id: int | None, today: date) -> Counts:
    if agency_id is None:
        return Counts()
    is_open = Feedback.state == FeedbackState.OPEN
    row = db.session.execute(
        select(
            func.count(case((is_open, 1))),
            func.count(case((is_open & (Feedback.due_on < today), 1))),
            func.count(case((Feedback.state == FeedbackState.ANSWERED, 1))),
            func.count(case((Feedback.satisfied.is_(True), 1))),
            func.count(case((Feedback.satisfied.is_(False), 1))),
        ).where(Feedback.agency_id == agency_id)
    ).one()
    return Counts(*row)
