"""The citizen's voice in the index: ratings and feedback, counted per agency and day, and the files they touch.

Service ratings come from `service_rating` (onestop/ratings), feedback from `feedback`
(onestop/feedback). A zero is a measurement (the agency had no ratings that day); an installation
where the province has no rating survey simply has no rows, and the index leaves the indicator out
of the maximum as it does for any indicator without files.

Satisfaction in receiving and processing is a fact of each file (`DashboardFact.service_ok`): a rating or
feedback about a file takes it out. Both can come days after the decision, so the aggregation of a day also
writes again the facts of the files rated or complained about that day (`touched_application_ids`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import case, func, select

from onestop import localtime
from onestop.dashboards.months import VOICE
from onestop.extensions import db

# On the province's 1–5 overall question (onestop/ratings/standard.yaml: from 1 "very dissatisfied" to
# 5 "very satisfied"), 4 is "satisfied" and 5 "very satisfied"; 1 and 2 are the unsatisfied ratings the
# decision takes away, 3 is neither.
SATISFIED_FROM = 4
UNSATISFIED_UP_TO = 2

# Every voice column of the day rows at zero: measured, none came.
VOICE_ZEROS = dict.fromkeys(VOICE, 0)


def _complaint_kinds() -> list[str]:
    """Phản ánh and kiến nghị: what the decision means by feedback about a file (a question is neither)."""
    from onestop.feedback.models import FeedbackKind

    return [FeedbackKind.FEEDBACK.value, FeedbackKind.COMPLAINT.value]


def rating_counts(agency_ids: list[int], days: list[date]) -> dict[tuple[date, int], dict[str, int]]:
    """Service ratings given on those days, per day and agency: `ratings_total` and `ratings_satisfied` (the
    ratings at "satisfied" or better). One grouped query."""
    from onestop.ratings.models import ServiceRating

    rows = db.session.execute(
        select(
            ServiceRating.rated_on,
            ServiceRating.agency_id,
            func.count(ServiceRating.id),
            func.coalesce(func.sum(case((ServiceRating.overall >= SATISFIED_FROM, 1), else_=0)), 0),
        )
        .where(ServiceRating.agency_id.in_(agency_ids), ServiceRating.rated_on.in_(days))
        .group_by(ServiceRating.rated_on, ServiceRating.agency_id)
    ).all()
    return {
        (day, agency_id): {"ratings_total": int(total), "ratings_satisfied": int(ok)}
        for day, agency_id, total, ok in rows
    }


def feedback_counts(agency_ids: list[int], days: list[date]) -> dict[tuple[date, int], dict[str, int]]:
    """Feedback items that came due on those days, per day and agency now in charge: `feedback_total`,
    `feedback_on_time` (answered on or before the deadline, in the province's days) and `feedback_satisfied`
    (answered on time and not marked unsatisfied by the citizen)."""
    from onestop.feedback.models import Feedback

    counts: dict[tuple[date, int], dict[str, int]] = {}
    rows = db.session.execute(
        select(Feedback.due_on, Feedback.agency_id, Feedback.answered_at, Feedback.satisfied).where(
            Feedback.agency_id.in_(agency_ids), Feedback.due_on.in_(days)
        )
    ).all()
    for row in rows:
        agency = counts.setdefault(
            (row.due_on, row.agency_id), {"feedback_total": 0, "feedback_on_time": 0, "feedback_satisfied": 0}
        )
        agency["feedback_total"] += 1
        if row.answered_at is not None and localtime.today(moment=row.answered_at) <= row.due_on:
            agency["feedback_on_time"] += 1
            agency["feedback_satisfied"] += row.satisfied is not False
    return counts


def voice_counts(agency_ids: list[int], days: list[date]) -> dict[tuple[date, int], dict[str, int]]:
    """The columns of `DashboardDay` these sources fill, per day and agency with any rating or feedback that day;
    every other agency's row gets `VOICE_ZEROS` (measured: none came)."""
    merged: dict[tuple[date, int], dict[str, int]] = {}
    for source in (rating_counts, feedback_counts):
        for key, counts in source(agency_ids, days).items():
            merged.setdefault(key, dict(VOICE_ZEROS)).update(counts)
    return merged


def touched_application_ids(agency_ids: list[int], day: date, start: datetime, end: datetime) -> set[int]:
    """Files rated on `day`, or given feedback or a complaint between `start` and `end` (that local day)."""
    from onestop.feedback.models import Feedback
    from onestop.ratings.models import ServiceRating

    rated = select(ServiceRating.application_id).where(
        ServiceRating.agency_id.in_(agency_ids), ServiceRating.rated_on == day
    )
    complained = select(Feedback.application_id).where(
        Feedback.application_id.is_not(None),
        Feedback.kind.in_(_complaint_kinds()),
        Feedback.sent_at >= start,
        Feedback.sent_at < end,
    )
    return set(db.session.scalars(rated)) | set(db.session.scalars(complained))


def dissatisfied_application_ids(application_ids: Iterable[int]) -> set[int]:
    """Of these files, those rated unsatisfied (1 or 2 overall) or with feedback or a complaint about them."""
    from onestop.feedback.models import Feedback
    from onestop.ratings.models import ServiceRating

    ids = list(application_ids)
    rated = select(ServiceRating.application_id).where(
        ServiceRating.application_id.in_(ids), ServiceRating.overall <= UNSATISFIED_UP_TO
    )
    complained = select(Feedback.application_id).where(
        Feedback.application_id.in_(ids), Feedback.kind.in_(_complaint_kinds())
    )
    return set(db.session.scalars(rated)) | set(db.session.scalars(complained))
