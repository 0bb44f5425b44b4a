"""Every indicator and figure against the hand-worked month of conftest.py, then the same through the pages."""

import re
from datetime import date

from sqlalchemy import func, select

from onestop.dashboards import figures, index
from onestop.dashboards.aggregate import aggregate_day, rebuild
from onestop.dashboards.models import DashboardDay, DashboardFact
from onestop.extensions import db
from onestop.provinces.models import Agency
from tests.conftest import login
from tests.dashboards.conftest import NOVEMBER, POLICE, WARD

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)


def _agency(code: str) -> int:
    return db.session.scalar(select(Agency.id).where(Agency.code == code))


def _totals(code: str) -> dict:
    return figures.totals([_agency(code)], FIRST, LAST)


def test_every_count_matches_the_hand_worked_month(month):
    totals = _totals(POLICE)
    expected = {
        "received": 9,
        "received_online": 7,
        "full_received": 8,
        "full_online": 7,
        "reused": 1,
        "decided": 4,
        "on_time": 3,
        "late": 1,
        "refused": 2,
        "returned": 3,
        "returned_online": 2,
        "had_fee": 2,
        "paid_online": 1,
        "transferred": 0,
        "working_days_sum": 17,
        "working_days_count": 4,
        "digitised": 4,
        "shared_for_reuse": 3,
        "service_ok": 3,
    }
    assert {name: totals[name] for name in expected} == expected
    ward = _totals(WARD)
    assert ward["transferred"] == 1 and ward["received"] == 0
    counts = figures.histogram([_agency(POLICE)], FIRST, LAST)
    assert figures.percentile(counts, 0.9) == 7
    assert figures.percentile(counts, 0.5) == 4


def test_without_feedback_its_indicators_score_nothing_rather_than_zero(month):
    totals = _totals(POLICE)
    assert totals["ratings_total"] == 0 and totals["feedback_total"] == 0  # measured: none came
    scored = index.score(totals)
    satisfaction = {score.indicator.key: score for group in scored.groups for score in group.scores}
    assert not satisfaction["feedback_on_time"].has_files and not satisfaction["feedback_satisfaction"].has_files
    # Satisfaction in receiving and processing counts the decided files, rated or not: 3 of 4 on time, none
    # rated unsatisfied nor complained about.
    service = satisfaction["service_satisfaction"]
    assert (service.numerator, service.denominator) == (3, 4)


def test_points_follow_the_national_portal_and_count_only_what_was_measured(month):
    scored = index.score(_totals(POLICE))
    points = {score.indicator.key: score.points for group in scored.groups for score in group.scores}
    assert points["on_time"] == 15.0  # 3 of 4 decided on time, of 20 points
    assert points["results_online"] == 4.0  # 2 of 3 results, of 6
    assert points["digitised"] == 1.78  # 4 × 4/9
    assert points["papers_reused"] == 0.28  # 2 × (1/9) / 0.8
    assert points["shared_for_reuse"] == 1.33  # 4 × 3/9
    assert points["filed_online"] == 6.0  # 7 of 9 = 78%, above the 50% that earns every point
    assert points["paid_online"] == 3.0  # 1 of 2, of 6
    assert points["service_satisfaction"] == 5.0  # 6 × 0.75 / 0.9
    assert points["published_on_time"] is None
    assert points["procedures_online"] is None and points["certified_copies"] is None
    # Progress 20; digitisation 6 + 4 + 2 + 4; online 6 + 6; satisfaction 6 (no feedback came due).
    assert scored.counted_maximum == 20 + 16 + 12 + 6
    assert scored.points == 36.39
    assert scored.maximum == 100


def test_a_reload_replaces_the_day_and_a_rebuild_gives_the_same_rows(month, demo):
    before = _totals(POLICE)
    rows = db.session.scalar(select(func.count()).select_from(DashboardDay))
    facts = db.session.scalar(select(func.count()).select_from(DashboardFact))
    for _ in range(2):
        aggregate_day(demo, date(2026, 11, 2), today=date(2026, 12, 2))
        db.session.commit()
    assert _totals(POLICE) == before
    rebuild(demo, until=date(2026, 12, 2))
    db.session.commit()
    assert _totals(POLICE) == before
    assert db.session.scalar(select(func.count()).select_from(DashboardDay)) == rows
    assert db.session.scalar(select(func.count()).select_from(DashboardFact)) == facts


def _page(client, url, params=None):
    response = client.get(url, query_string=params or {}, follow_redirects=True)
    return response, response.get_data(as_text=True)


def test_the_leader_sees_each_indicator_with_its_numbers_and_the_files_behind_it(month, app, people):
    client = app.test_client()
    login(client, people["leader"].email)
    client.get("/lang/en?next=/")
    response, html = _page(client, "/office/dashboard", NOVEMBER)
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Files decided on time 75%" in text
    assert "1 not counted: these files" in text  # the late one
    assert "15 of 20" in text
    assert "not measured yet" in text
    assert "3 of 4 (75%)" in text  # on time, in the operational figures
    police = _agency(POLICE)
    _, late = _page(client, "/office/dashboard/files/late", {**NOVEMBER, "agency": police})
    assert "MS-A2" in late and "MS-A1" not in late and "1 files" in late
    _, on_time = _page(client, "/office/dashboard/files/on_time", {**NOVEMBER, "agency": police})
    assert all(f"MS-{name}<" in on_time for name in ("A1", "A3", "A4"))
    _, overdue = _page(client, "/office/dashboard/files/overdue", {**NOVEMBER, "agency": police})
    assert "MS-A7" in overdue


def test_every_list_holds_as_many_files_as_its_figure_counts(month, app, people):
    from onestop.dashboards import drill
    from onestop.dashboards.access import scope_for

    scope = scope_for(people["leader"], None)
    totals = _totals(POLICE)
    expected = {
        "received": totals["received"],
        "online": totals["received_online"],
        "counter": totals["received"] - totals["received_online"],
        "full_received": totals["full_received"],
        "full_online": totals["full_online"],
        "reused": totals["reused"],
        "decided": totals["decided"],
        "on_time": totals["on_time"],
        "late": totals["late"],
        "refused": totals["refused"],
        "returned": totals["returned"],
        "returned_online": totals["returned_online"],
        "returned_offline": totals["returned_offline"],
        "had_fee": totals["had_fee"],
        "paid_online": totals["paid_online"],
        "transferred": totals["transferred"],
        "overdue": 1,
        "digitised": 4,
        "not_digitised": 5,
        "shared_for_reuse": 3,
        "not_shared": 6,
        "service_ok": 3,
        "service_not_ok": 1,
    }
    for key, count in expected.items():
        found = drill.files(drill.LISTS[key], scope, FIRST, LAST, date(2026, 12, 2))
        assert found.total == count == len(found.applications), key


def test_the_province_admin_sees_the_province_and_each_agency(month, app, people):
    client = app.test_client()
    login(client, people["admin"].email)
    client.get("/lang/en?next=/")
    response, html = _page(client, "/office/dashboard", NOVEMBER)
    assert response.status_code == 200
    assert "Agencies" in html
    ward = _agency(WARD)
    response, html = _page(client, f"/office/dashboard/agency/{ward}", NOVEMBER)
    assert response.status_code == 200
    _, transferred = _page(client, "/office/dashboard/files/transferred", {**NOVEMBER, "agency": ward})
    assert "MS-A6" in transferred


def test_the_feedback_indicators_are_scored_from_the_counts_of_feedback(month, demo, monkeypatch):
    """How counts become points (the sources themselves are tested against real rows in test_voice.py)."""
    from onestop.dashboards import sources

    police = _agency(POLICE)

    november_2 = date(2026, 11, 2)

    def ratings(agency_ids, days):
        return {(november_2, police): {"ratings_total": 10, "ratings_satisfied": 9}}

    def feedback(agency_ids, days):
        # Four items came due: three handled on time, one late and so also counted unsatisfied.
        return {(november_2, police): {"feedback_total": 4, "feedback_on_time": 3, "feedback_satisfied": 3}}

    monkeypatch.setattr(sources, "rating_counts", ratings)
    monkeypatch.setattr(sources, "feedback_counts", feedback)
    aggregate_day(demo, date(2026, 11, 2), today=date(2026, 12, 2))
    db.session.commit()
    scored = index.score(_totals(POLICE))
    points = {score.indicator.key: score.points for group in scored.groups for score in group.scores}
    assert points["feedback_on_time"] == 4.5
    assert points["feedback_satisfaction"] == 4.5
    # The ratings' share stays an operational figure; the index counts files (see test_index_rules.py).
    assert points["service_satisfaction"] == 5.0
    totals = _totals(POLICE)
    satisfied = next(figure for figure in figures.operational(totals, 0, {}) if figure.key == "satisfaction")
    assert (satisfied.count, satisfied.of) == (9, 10)
    assert not figures.totals([_agency(WARD)], FIRST, LAST)["ratings_total"]


def test_the_beat_jobs_and_the_rebuild_command_give_the_same_figures(month, app):
    from onestop.dashboards.tasks import aggregate_today, aggregate_yesterday

    before = _totals(POLICE)
    assert aggregate_yesterday.run() == 1 and aggregate_today.run() == 1
    assert _totals(POLICE) == before
    result = app.test_cli_runner().invoke(args=["dashboards", "rebuild", "--from", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert _totals(POLICE) == before
    bad = app.test_cli_runner().invoke(args=["dashboards", "rebuild", "--from", "yesterday"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_a_page_past_the_end_of_a_list_says_so_and_keeps_the_count(month, app, people):
    client = app.test_client()
    login(client, people["leader"].email)
    client.get("/lang/en?next=/")
    police = _agency(POLICE)
    response, html = _page(client, "/office/dashboard/files/late", {**NOVEMBER, "agency": police, "page": "99999"})
    assert response.status_code == 200
    assert "1 files" in html and "No file in this list for this period." in html and "MS-A2" not in html
