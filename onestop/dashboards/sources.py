"""The citizen's voice in the index: ratings and feedback, counted per agency and day.

Service ratings come from `service_rating` (onestop/ratings), feedback from `feedback`
(onestop/feedback). A zero is a measurement (the agency had no ratings that day); an installation
where the province has no rating survey simply has no rows, and the index leaves the indicator out
of the maximum as it does for any indicator without files.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from onestop import localtime
from onestop.extensions import db

# On the province's 1–5 scale, 4 is "satisfied" and 5 "very satisfied".
SATISFIED_FROM = 4


def rating_counts(agency_ids: list[int], day: date) -> dict[int, dict[str, int]]:
    """Service ratings given that day, per agency: `ratings_total` and `ratings_satisfied` (the ratings at
    "satisfied" or better). One grouped query for the day."""
    from onestop.ratings.models import ServiceRating

    rows = db.session.execute(
        select(
            ServiceRating.agency_id,
            func.count(ServiceRating.id),
            func.coalesce(func.sum(case((ServiceRating.overall >= SATISFIED_FROM, 1), else_=0)), 0),
        )
        .where(ServiceRating.agency_id.in_(agency_ids), ServiceRating.rated_on == day)
        .group_by(ServiceRating.agency_id)
    ).all()
    return {agency_id: {"ratings_total": int(total), "ratings_satisfied": int(ok)} for agency_id, total, ok in rows}


def feedback_counts(agency_ids: list[int], day: date) -> dict[int, dict[str, int]]:
    """Feedback items that came due that day, per agency now in charge: `feedback_total`, `feedback_on_time`
    (answered on or before the deadline, in the province's days) and `feedback_satisfied` (answered on time
    and not marked unsatisfied by the citizen)."""
    from onestop.feedback.models import Feedback

    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        select(Feedback.agency_id, Feedback.answered_at, Feedback.satisfied).where(
            Feedback.agency_id.in_(agency_ids), Feedback.due_on == day
        )
    ).all()
    for row in rows:
        agency = counts.setdefault(row.agency_id, {"feedback_total": 0, "feedback_on_time": 0, "feedback_satisfied": 0})
        agency["feedback_total"] += 1
        if row.answered_at is not None and localtime.today(moment=row.answered_at) <= day:
            agency["feedback_on_time"] += 1
            agency["feedback_satisfied"] += row.satisfied is not False
    return counts


def voice_counts(agency_ids: list[int], day: date) -> dict[int, dict[str, int]]:
    """The columns of `DashboardDay` these sources fill, per agency with any rating or feedback that day; every
    other agency's row gets zeros (measured: none came)."""
    zeros = {
        "ratings_total": 0,
        "ratings_satisfied": 0,
        "feedback_total": 0,
        "feedback_on_time": 0,
        "feedback_satisfied": 0,
    }
    merged: dict[int, dict[str, int]] = {}
    for source in (rating_counts, feedback_counts):
        for agency_id, counts in source(agency_ids, day).items():
            merged.setdefault(agency_id, dict(zeros)).update(counts)
    return {agency_id: merged.get(agency_id, dict(zeros)) for agency_id in agency_ids}
