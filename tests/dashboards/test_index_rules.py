"""The national portal's scoring rules: thresholds, the split of points, satisfaction in receiving and processing
(with ratings and complaints that come after the decision), and files whose filing day changes when decided.

The files are those of conftest.py (the police, November 2026): A1 decided on time Fri 6, A2 late Wed 11,
A3 on time Fri 13, A4 on time (refused) Thu 5; A7 filed Tue 10, still in progress.
"""

import io
import re
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from onestop.dashboards import drill, figures, index, procedure_figures
from onestop.dashboards.access import scope_for
from onestop.dashboards.aggregate import aggregate_day, rebuild
from onestop.dashboards.models import DashboardDay, DashboardFact
from onestop.datastore.models import Document, IssuedType, Provenance
from onestop.extensions import db
from onestop.feedback.models import Feedback, FeedbackKind
from onestop.procedures.models import Application
from onestop.ratings.models import RatingChannel, ServiceRating
from onestop.results.models import SignedDocument, SignedKind, SigningState
from tests.conftest import login
from tests.dashboards.conftest import NOVEMBER, POLICE, at
from tests.dashboards.test_figures import FIRST, LAST, _agency, _totals

TODAY = date(2026, 12, 2)


def _points(totals: dict) -> dict:
    return {score.indicator.key: score.points for group in index.score(totals).groups for score in group.scores}


def test_a_threshold_gives_every_point_from_its_rate_and_proportional_points_below_it():
    base = {"received": 10, "decided": 4, "on_time": 3, "reused": 0, "digitised": 0, "shared_for_reuse": 0}
    assert _points({**base, "received_online": 4})["filed_online"] == 4.8  # 6 × 0.4 / 0.5
    assert _points({**base, "received_online": 5})["filed_online"] == 6.0  # at the threshold
    assert _points({**base, "received_online": 6})["filed_online"] == 6.0  # above it: no more than the maximum
    assert _points({**base, "received_online": 0, "reused": 5})["papers_reused"] == 1.25  # 2 × 0.5 / 0.8
    assert _points({**base, "received_online": 0, "service_ok": 3})["service_satisfaction"] == 5.0  # 6 × 0.75 / 0.9
    assert _points({**base, "received_online": 0})["on_time"] == 15.0  # no threshold: 20 × 3/4


def test_the_groups_share_their_points_as_the_national_portal_does():
    split = {group.key: {} for group in index.GROUPS}
    for item in index.INDICATORS:
        split[item.group][item.key] = item.maximum
    assert split == {
        "publicity": {"announced_on_time": 6, "published_on_time": 4, "published_complete": 2, "synchronised": 6},
        "progress": {"on_time": 20},
        "digitisation": {
            "results_online": 6,
            "digitised": 4,
            "papers_reused": 2,
            "shared_for_reuse": 4,
            "certified_copies": 2,
            "population_data_files": 2,
            "population_data_procedures": 2,
        },
        "online": {
            "procedures_online": 2,
            "online_procedures_used": 4,
            "filed_online": 6,
            "fee_procedures_online": 2,
            "fee_procedures_paid": 2,
            "paid_online": 6,
        },
        "satisfaction": {"feedback_on_time": 6, "feedback_satisfaction": 6, "service_satisfaction": 6},
    }
    assert {group.key: group.maximum for group in index.GROUPS} == {
        key: sum(points.values()) for key, points in split.items()
    }
    thresholds = {item.key: item.full_at for item in index.INDICATORS if item.full_at != 1}
    assert thresholds == {
        "papers_reused": 0.8,
        "procedures_online": 0.8,
        "filed_online": 0.5,
        "fee_procedures_online": 0.8,
        "fee_procedures_paid": 0.8,
        "service_satisfaction": 0.9,
    }


def test_procedure_level_indicators_are_scored_with_their_thresholds_and_lead_to_their_lists():
    scored = {score.indicator.key: score for group in index.score({}).groups for score in group.scores}
    for key in ("published_complete", "procedures_online", "online_procedures_used", "fee_procedures_online"):
        assert not scored[key].measured
        assert scored[key].indicator.shortfall_list in procedure_figures.LISTS
    filled = {"procedures_online": 7, "procedures_total": 10, "online_procedures_used": 5, "fee_procedures": 4}
    points = _points({**filled, "fee_procedures_online": 4, "fee_procedures_paid": 2})
    assert points["procedures_online"] == 1.75  # 2 × 0.7 / 0.8
    assert points["online_procedures_used"] == 2.86  # 4 × 5/7
    assert points["fee_procedures_online"] == 2.0
    assert points["fee_procedures_paid"] == 1.25  # 2 × 0.5 / 0.8


def _file(name: str, files: dict) -> Application:
    """The fixture's application, attached to this session again (the aggregation let go of it)."""
    return db.session.get(Application, files[name].id)


def _rating(name: str, files: dict, overall: int, day: date) -> None:
    application = _file(name, files)
    db.session.add(
        ServiceRating(
            application_id=application.id,
            agency_id=application.receiving_agency_id,
            procedure_id=application.procedure_id,
            overall=overall,
            channel=RatingChannel.ONLINE,
            created_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC),
            rated_on=day,
        )
    )


def _feedback(name: str, files: dict, kind: FeedbackKind, sent_at: datetime) -> None:
    application = _file(name, files)
    count = db.session.scalar(select(Feedback.id).order_by(Feedback.id.desc()).limit(1)) or 0
    db.session.add(
        Feedback(
            code=f"FB{count + 1:08d}",
            province_id=application.procedure.province_id,
            kind=kind,
            agency_id=application.receiving_agency_id,
            application_id=application.id,
            title="Về hồ sơ của tôi",
            body="Cán bộ hướng dẫn chưa rõ.",
            sent_at=sent_at,
            received_at=sent_at,
            due_on=date(2026, 12, 31),
        )
    )


def _listed(people, key: str) -> list[str]:
    scope = scope_for(people["leader"], None)
    found = drill.files(drill.LISTS[key], scope, FIRST, LAST, TODAY)
    assert found.total == len(found.applications)
    return sorted(application.code for application in found.applications)


def test_satisfaction_in_receiving_and_processing_follows_the_decision(month, demo, people):
    _rating("A1", month, 5, date(2026, 11, 7))  # on time and very satisfied: counts
    _feedback("A1", month, FeedbackKind.QUESTION, at(8))  # a question is not a complaint: still counts
    _rating("A3", month, 2, date(2026, 11, 14))  # on time but rated unsatisfied
    _feedback("A4", month, FeedbackKind.COMPLAINT, at(6))  # on time but complained about
    _rating("A2", month, 5, date(2026, 11, 12))  # satisfied, but decided late
    db.session.commit()
    rebuild(demo, until=TODAY)
    db.session.commit()
    totals = _totals(POLICE)
    assert (totals["service_ok"], totals["decided"]) == (1, 4)
    assert _points(totals)["service_satisfaction"] == 1.67  # 6 × 0.25 / 0.9
    assert _listed(people, "service_ok") == ["MS-A1"]
    assert _listed(people, "service_not_ok") == ["MS-A2", "MS-A3", "MS-A4"]


def _decided_on(day: int) -> dict:
    return figures.totals([_agency(POLICE)], date(2026, 11, day), date(2026, 11, day))


def test_a_rating_or_complaint_after_the_decision_changes_the_figure_of_the_decision_day(month, demo, people):
    assert _decided_on(13)["service_ok"] == 1  # A3
    assert _totals(POLICE)["service_ok"] == 3
    # Three days after A3 was decided, its applicant rates it 1 ("very dissatisfied").
    _rating("A3", month, 1, date(2026, 11, 16))
    thirteenth = db.session.scalar(
        select(DashboardDay).where(DashboardDay.agency_id == _agency(POLICE), DashboardDay.day == date(2026, 11, 13))
    )
    thirteenth.overdue_snapshot = 2  # as the job running that evening would have counted
    db.session.commit()
    assert _decided_on(13)["service_ok"] == 1  # nothing aggregated yet
    for _ in range(2):  # idempotent
        aggregate_day(demo, date(2026, 11, 16), today=TODAY)
        db.session.commit()
        assert _decided_on(13)["service_ok"] == 0
        assert _decided_on(13)["decided"] == 1
        assert _decided_on(16)["ratings_total"] == 1  # the rating's own day counts the rating
        assert _totals(POLICE)["service_ok"] == 2  # the month row was summed again too
        snapshot = select(DashboardDay.overdue_snapshot).where(DashboardDay.day == date(2026, 11, 13))
        assert db.session.scalar(snapshot.where(DashboardDay.agency_id == _agency(POLICE))) == 2  # kept
    # A complaint about A1 (decided Fri 6) sent on Fri 20 in Vietnam.
    _feedback("A1", month, FeedbackKind.FEEDBACK, at(20))
    db.session.commit()
    aggregate_day(demo, date(2026, 11, 20), today=TODAY)
    db.session.commit()
    assert _decided_on(6)["service_ok"] == 0
    assert _totals(POLICE)["service_ok"] == 1
    assert _listed(people, "service_not_ok") == ["MS-A1", "MS-A2", "MS-A3"]
    before = _totals(POLICE)
    rebuild(demo, until=TODAY)
    db.session.commit()
    assert _totals(POLICE) == before


def test_a_file_decided_later_counts_its_electronic_result_on_the_day_it_was_filed(month, demo, people):
    a7 = _file("A7", month)
    assert _decided_on(10)["received"] == 1 and _decided_on(10)["shared_for_reuse"] == 0
    # A7 (filed Tue 10) is decided Fri 20: its result signed and put in the applicant's warehouse.
    a7.state, a7.finished_at, a7.result_delivery = "returned", at(20), "online"
    result = Document(
        owner_id=a7.applicant_id,
        document_type_code=IssuedType.RESULT.value,
        title="Phiếu lý lịch tư pháp",
        provenance=Provenance.ISSUED.value,
        source_application_id=a7.id,
        blob_sha256="a" * 64,
        filename="MS-A7.pdf",
    )
    db.session.add(result)
    db.session.flush()
    db.session.add(
        SignedDocument(
            kind=SignedKind.RESULT.value,
            application_id=a7.id,
            agency_id=a7.receiving_agency_id,
            title={"vi": "Phiếu lý lịch tư pháp"},
            verification_code="VC-MS-A7",
            state=SigningState.SIGNED.value,
            blob_sha256="a" * 64,
            document_id=result.id,
            signed_at=at(20),
        )
    )
    db.session.commit()
    aggregate_day(demo, date(2026, 11, 20), today=TODAY)
    db.session.commit()
    assert _decided_on(10)["shared_for_reuse"] == 1 and _decided_on(10)["digitised"] == 1
    assert _totals(POLICE)["shared_for_reuse"] == 4
    assert "MS-A7" in _listed(people, "shared_for_reuse")
    fact = db.session.get(DashboardFact, a7.id)
    assert fact.finished_day == date(2026, 11, 20) and fact.digitised and fact.shared_for_reuse


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_shows_thresholds_and_why_an_indicator_is_not_measured(month, app, people):
    client = app.test_client()
    login(client, people["leader"].email)
    client.get("/lang/en?next=/")
    text = _text(client.get("/office/dashboard", query_string=NOVEMBER, follow_redirects=True).get_data(as_text=True))
    assert "Files filed online full points from 50% 77.8%" in text
    assert "6 of 6" in text  # its points
    assert "Satisfaction with receiving and processing procedures full points from 90% 75%" in text
    assert (
        "Procedures announced on time Not measured yet: onestop does not record when the legal basis of a procedure"
        " takes effect. not measured yet" in text
    )
    assert "Procedures offered as online public services full points from 80%" in text
    assert "Not measured yet: onestop has no connection to the national population database." in text
    assert "12 points for online public services and 10 for online payment" in text
    assert "Other publicity indicators" not in text and "Full-process online files among" not in text
    assert "Full-process online 7 of 8" in text  # still an operational figure
    police = _agency(POLICE)
    listed = client.get("/office/dashboard/files/service_not_ok", query_string={**NOVEMBER, "agency": police})
    assert listed.status_code == 200 and "MS-A2" in listed.get_data(as_text=True)


def test_the_index_export_gives_each_threshold(month, app, people):
    client = app.test_client()
    login(client, people["admin"].email)
    client.get("/lang/en?next=/")
    response = client.get("/office/dashboard/export/index.xlsx", query_string={**NOVEMBER, "agency": _agency(POLICE)})
    rows = [[cell.value for cell in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()]
    assert rows[0][-1] == "Full points from"
    by_title = {row[1]: row for row in rows[1:]}
    assert by_title["Files filed online"][3:] == [7, 9, 6, 6, "50%"]
    assert by_title["Files decided on time"][3:] == [3, 4, 15, 20, "100%"]
    assert by_title["Procedures announced on time"][2:] == ["not measured yet", None, None, None, 6, "100%"]
