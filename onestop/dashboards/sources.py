"""The citizen's voice in the index: ratings and feedback, counted per agency and day.

Ratings (`service_rating`) and feedback are built by other modules. Until they are wired here, each
function below returns None, the day's columns stay NULL and every page says "not measured yet" for
the satisfaction group: no invented numbers, no zeros that look like measurements.

To wire a source, make its function return the counts for the agency and the local day, e.g.
`rating_counts` -> {"ratings_total": 12, "ratings_satisfied": 10}; then run
`flask --app wsgi dashboards rebuild` once so that past days get them too.
"""

from __future__ import annotations

from datetime import date


def rating_counts(agency_id: int, day: date) -> dict[str, int] | None:
    """Service ratings given that day for the agency's files: `ratings_total` and `ratings_satisfied`
    (the ratings at "satisfied" or better). None: ratings are not measured on this installation yet."""
    return None


def feedback_counts(agency_id: int, day: date) -> dict[str, int] | None:
    """Feedback items within the agency's remit that came due that day: `feedback_total`,
    `feedback_on_time` (handled on or before their deadline) and `feedback_satisfied` (neither marked
    unsatisfied nor handled late). None: feedback is not measured on this installation yet."""
    return None


def voice_counts(agency_id: int, day: date) -> dict[str, int]:
    """The columns of `DashboardDay` these sources fill for one agency and day (empty: not measured)."""
    counts: dict[str, int] = {}
    for source in (rating_counts, feedback_counts):
        counts.update(source(agency_id, day) or {})
    return counts
