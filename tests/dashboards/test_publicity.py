"""Procedures published on time: announcing decisions from the pack, live dates from the catalogue's versions.

The demo province's pack is loaded again with an announcing decision on four procedures; each version
that carries one went live at the moment set below. Publication window: 5 working days after the day the
decision was signed (the pack's default); November 2026 has no holiday.

- Criminal record certificate (the police): decision 101/QĐ-UBND signed Mon 2 November, due live by
  Mon 9 (3, 4, 5, 6, 9); live Fri 6 at 09:00. On time.
- Household business (the ward): 102/QĐ-UBND signed Wed 4 November, due Wed 11 (5, 6, 9, 10, 11); live
  Thu 12 at 00:30 in Vietnam (still the 11th in UTC). Late: the day is the province's.
- Birth registration (the ward): 103/QĐ-UBND signed Fri 20 November, due Fri 27; live Fri 27 at 16:30.
  On time, on its last day.
- Civil status extract (the ward): 99/QĐ-UBND signed Fri 30 October: not in November.

November: the province 3 announced, 2 on time (4 × 2/3 = 2.67 points); the police 1 of 1; the ward 1 of 2.
"""

import dataclasses
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from onestop.dashboards import index, publicity
from onestop.dashboards.access import scope_for
from onestop.extensions import db
from onestop.procedures.models import Procedure, ProcedureVersion
from onestop.provinces.models import Agency
from onestop.provinces.pack_procedure_schema import Announcement
from onestop.provinces.services import apply_pack
from tests.conftest import login
from tests.dashboards.conftest import NOVEMBER, POLICE, WARD

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
DECISIONS = {
    "cap-phieu-ly-lich-tu-phap": ("101/QĐ-UBND", date(2026, 11, 2), datetime(2026, 11, 6, 2, 0, tzinfo=UTC)),
    "dang-ky-thanh-lap-ho-kinh-doanh": (
        "102/QĐ-UBND",
        date(2026, 11, 4),
        datetime(2026, 11, 11, 17, 30, tzinfo=UTC),
    ),
    "dang-ky-khai-sinh": ("103/QĐ-UBND", date(2026, 11, 20), datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),
    "cap-ban-sao-trich-luc-ho-tich": ("99/QĐ-UBND", date(2026, 10, 30), datetime(2026, 11, 2, 2, 0, tzinfo=UTC)),
}


@pytest.fixture
def announced(demo, demo_pack, people):
    """The pack loaded again with the decisions above; each announcing version went live as set above."""
    procedures = []
    for spec in demo_pack.procedures:
        decision = DECISIONS.get(spec.slug_or_default())
        if decision:
            spec = spec.model_copy(update={"announcement": Announcement(number=decision[0], date=decision[1])})
        procedures.append(spec)
    apply_pack(dataclasses.replace(demo_pack, procedures=procedures))
    db.session.flush()
    for slug, (number, _signed, live) in DECISIONS.items():
        version = db.session.scalar(
            select(ProcedureVersion)
            .join(Procedure)
            .where(Procedure.slug == slug, ProcedureVersion.announcement_number == number)
        )
        version.created_at = live
    db.session.commit()
    return demo


def _scope(user):
    return scope_for(user, None)


def test_without_any_announcing_decision_publicity_is_not_measured(demo, people):
    assert publicity.totals(_scope(people["admin"]), FIRST, LAST) == {"announced": None, "published_on_time": None}


def test_published_on_time_against_the_hand_worked_decisions(announced, people):
    province = publicity.totals(_scope(people["admin"]), FIRST, LAST)
    assert province == {"announced": 3, "published_on_time": 2}
    assert publicity.totals(_scope(people["leader"]), FIRST, LAST) == {"announced": 1, "published_on_time": 1}
    assert publicity.totals(_scope(people["ward_leader"]), FIRST, LAST) == {"announced": 2, "published_on_time": 1}
    late = publicity.listed(publicity.LISTS["published_late"], _scope(people["admin"]), FIRST, LAST)
    assert [(one.number, one.due_on, one.live_on) for one in late] == [
        ("102/QĐ-UBND", date(2026, 11, 11), date(2026, 11, 12))
    ]
    # A month without decisions: measured, nothing announced.
    assert publicity.totals(_scope(people["admin"]), date(2026, 12, 1), date(2026, 12, 31))["announced"] == 0
    scored = index.score({"announced": 3, "published_on_time": 2})
    score = next(s for group in scored.groups for s in group.scores if s.indicator.key == "published_on_time")
    assert score.points == 2.67 and score.shortfall == 1


def test_the_pack_records_the_decision_on_the_version_it_announces(announced):
    version = db.session.scalar(
        select(ProcedureVersion)
        .join(Procedure)
        .where(Procedure.slug == "cap-phieu-ly-lich-tu-phap")
        .order_by(ProcedureVersion.number.desc())
    )
    assert (version.announcement_number, version.announced_on) == ("101/QĐ-UBND", date(2026, 11, 2))
    assert version.definition["announcement"] == {"number": "101/QĐ-UBND", "date": "2026-11-02"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_shows_the_figure_and_the_procedures_behind_it(announced, app, people):
    client = app.test_client()
    login(client, people["admin"].email)
    client.get("/lang/en?next=/")
    html = client.get("/office/dashboard", query_string=NOVEMBER).get_data(as_text=True)
    text = _text(html)
    assert "Procedures updated and published on time 66.7%" in text
    assert "2.67 of 4" in text
    assert "/office/dashboard/files/published_late?" in html
    response = client.get("/office/dashboard/files/published_late", query_string=NOVEMBER)
    late = _text(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "102/QĐ-UBND" in late and "04/11/2026" in late and "11/11/2026" in late and "12/11/2026" in late
    assert "101/QĐ-UBND" not in late
    on_time = _text(client.get("/office/dashboard/files/published_on_time", query_string=NOVEMBER).get_data(True))
    assert "101/QĐ-UBND" in on_time and "103/QĐ-UBND" in on_time and "99/QĐ-UBND" not in on_time
    export = client.get("/office/dashboard/files/announced/export.csv", query_string=NOVEMBER).get_data(True)
    assert export.count("QĐ-UBND") == 3


def test_an_agency_sees_only_its_own_procedures_and_the_public_page_links_to_none(announced, app, people):
    ward = db.session.scalar(select(Agency.id).where(Agency.code == WARD))
    police = db.session.scalar(select(Agency.id).where(Agency.code == POLICE))
    client = app.test_client()
    login(client, people["leader"].email)
    own = client.get("/office/dashboard/files/announced", query_string={**NOVEMBER, "agency": police})
    assert own.status_code == 200 and "101/QĐ-UBND" in own.get_data(as_text=True)
    assert "102/QĐ-UBND" not in own.get_data(as_text=True)
    other = client.get("/office/dashboard/files/published_late", query_string={**NOVEMBER, "agency": ward})
    assert other.status_code == 404
    assert client.get("/office/dashboard/files/announced/export.csv", query_string={"agency": ward}).status_code == 404
    citizen = app.test_client()
    login(citizen, people["citizen"].email)
    assert citizen.get("/office/dashboard/files/announced", query_string=NOVEMBER).status_code == 403
    public = app.test_client().get("/statistics", query_string=NOVEMBER).get_data(as_text=True)
    assert "published_on_time" not in public and "published_late" not in public
