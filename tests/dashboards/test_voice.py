"""Ratings and feedback rows, as the ratings and feedback modules write them, become the index's counts."""

from datetime import UTC, date, datetime

from onestop.dashboards import figures
from onestop.dashboards.aggregate import aggregate_day
from onestop.extensions import db
from onestop.feedback.models import Feedback, FeedbackKind, FeedbackState
from onestop.procedures.models import Application
from onestop.ratings.models import RatingChannel, ServiceRating
from tests.conftest import login
from tests.dashboards.conftest import POLICE
from tests.dashboards.test_figures import _agency
from tests.filing import fill_all_steps, pdf_bytes, send, upload
from tests.office.conftest import file_lltp

DAY = date(2026, 11, 20)


def _rating(application_id: int, agency_id: int, overall: int) -> None:
    application = db.session.get(Application, application_id)
    db.session.add(
        ServiceRating(
            application_id=application_id,
            agency_id=agency_id,
            procedure_id=application.procedure_id,
            overall=overall,
            channel=RatingChannel.ONLINE,
            rated_on=DAY,
        )
    )


def _feedback(n: int, agency_id: int, province_id: int, answered_at, satisfied) -> None:
    db.session.add(
        Feedback(
            code=f"FB{n:08d}",
            province_id=province_id,
            kind=FeedbackKind.QUESTION,
            agency_id=agency_id,
            title="Hỏi về thời hạn",
            body="Bao giờ có kết quả?",
            state=FeedbackState.ANSWERED if answered_at else FeedbackState.OPEN,
            due_on=DAY,
            answered_at=answered_at,
            satisfied=satisfied,
        )
    )


def test_ratings_and_feedback_rows_give_the_satisfaction_counts(app, demo, create_citizen):
    police = _agency(POLICE)
    first = file_lltp(app, create_citizen, fee_category="exempt")[1]
    other = create_citizen(full_name="Trần Văn Hùng")
    client = app.test_client()
    login(client, other.email)
    second = fill_all_steps(client, fee_category="exempt")
    upload(client, second, "the-can-cuoc", pdf_bytes())
    send(client, second)
    _rating(first, police, 5)  # very satisfied
    _rating(second, police, 2)  # not satisfied
    # 23:30 in Vietnam on the due day is still on time; the next morning is late.
    _feedback(1, police, demo.id, datetime(2026, 11, 20, 16, 30, tzinfo=UTC), None)
    _feedback(2, police, demo.id, datetime(2026, 11, 20, 3, 0, tzinfo=UTC), False)  # on time, marked unsatisfied
    _feedback(3, police, demo.id, datetime(2026, 11, 21, 1, 0, tzinfo=UTC), True)  # late
    _feedback(4, police, demo.id, None, None)  # never answered
    db.session.commit()
    aggregate_day(demo, DAY, today=date(2026, 12, 2))
    db.session.commit()
    totals = figures.totals([police], DAY, DAY)
    assert (totals["ratings_total"], totals["ratings_satisfied"]) == (2, 1)
    assert (totals["feedback_total"], totals["feedback_on_time"], totals["feedback_satisfied"]) == (4, 2, 1)
