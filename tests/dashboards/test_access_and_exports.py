"""Who may open which dashboard route, bad input, the public page, and the exports (the XLSX opened)."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from onestop.extensions import db
from onestop.provinces.models import Agency
from tests.conftest import csrf_token, login
from tests.dashboards.conftest import NOVEMBER, POLICE, WARD


def _id(code: str) -> int:
    return db.session.scalar(select(Agency.id).where(Agency.code == code))


def _client(app, user=None):
    """A browser reading in English (the strings asserted below are the source texts)."""
    client = app.test_client()
    if user is not None:
        login(client, user.email)
    client.get("/lang/en?next=/")
    return client


def _routes(agency_id: int) -> list[str]:
    return [
        "/office/dashboard",
        f"/office/dashboard/agency/{agency_id}",
        f"/office/dashboard/files/late?agency={agency_id}",
        f"/office/dashboard/files/late/export.csv?agency={agency_id}",
        f"/office/dashboard/export/index.xlsx?agency={agency_id}",
    ]


def test_anonymous_visitors_are_sent_to_sign_in(month, app):
    client = _client(app)
    for url in _routes(_id(POLICE)):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["citizen", "clerk", "specialist"])
def test_citizens_clerks_and_specialists_are_refused(month, app, people, role):
    client = _client(app, people[role])
    for url in _routes(_id(POLICE)):
        assert client.get(url).status_code == 403, url


def test_a_leader_opens_only_their_own_agency(month, app, people):
    police, ward = _id(POLICE), _id(WARD)
    leader = _client(app, people["leader"])
    for url in _routes(police):
        assert leader.get(url, follow_redirects=True).status_code == 200, url
    for url in _routes(ward)[1:]:
        assert leader.get(url).status_code == 404, url
    ward_leader = _client(app, people["ward_leader"])
    for key in ("late", "on_time", "received", "overdue"):
        response = ward_leader.get(f"/office/dashboard/files/{key}", query_string={**NOVEMBER, "agency": police})
        assert response.status_code == 404
        assert "MS-A" not in response.get_data(as_text=True)
    token = csrf_token(leader.get("/office/dashboard", follow_redirects=True).get_data(as_text=True))
    assert leader.post(f"/office/dashboard/refresh?agency={ward}", data={"csrf_token": token}).status_code == 404
    assert leader.post("/office/dashboard/refresh", data={"csrf_token": token}).status_code == 302


def test_the_province_admin_opens_every_agency_of_the_province(month, app, people):
    admin = _client(app, people["admin"])
    for code in (POLICE, WARD):
        for url in _routes(_id(code)):
            assert admin.get(url).status_code == 200, url
    assert admin.get("/office/dashboard/agency/999999").status_code == 404


def test_bad_periods_and_names_give_clear_pages(month, app, people):
    client = _client(app, people["leader"])
    police = _id(POLICE)
    url = f"/office/dashboard/agency/{police}"
    reversed_ = client.get(url, query_string={"period": "range", "from": "2026-11-30", "to": "2026-11-01"})
    assert reversed_.status_code == 422
    assert "The last day must not be before the first day." in reversed_.get_data(as_text=True)
    future = client.get(url, query_string={"period": "range", "from": "2099-01-01", "to": "2099-02-01"})
    assert future.status_code == 422 and "in the future" in future.get_data(as_text=True)
    garbage = client.get(url, query_string={"period": "range", "from": "31/11", "to": ""})
    assert garbage.status_code == 422 and 'value="31/11"' in garbage.get_data(as_text=True)
    assert client.get(url, query_string={"period": "nonsense"}).status_code == 200
    assert client.get("/office/dashboard/files/nonsense").status_code == 404
    assert client.get("/office/dashboard/export/nonsense.csv").status_code == 404
    assert client.get("/office/dashboard/export/index.pdf").status_code == 404
    assert client.get("/office/dashboard/files/late?agency=abc").status_code == 404


def test_a_period_without_files_says_so_without_dividing_by_zero(app, demo, people):
    client = _client(app, people["leader"])
    response = client.get("/office/dashboard", query_string={}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There are no figures for this period" in html
    assert "no files in this period" in html
    public = app.test_client().get("/statistics", query_string={})
    assert public.status_code == 200


def test_the_public_page_shows_sums_and_no_personal_data(month, app, people):
    client = _client(app)
    response = client.get("/statistics", query_string=NOVEMBER)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 of 4 (75%)" in html
    for private in ("MS-A", "Lê Thị Hoa", "Đặng Thị Lan", "Ngô Thanh Sơn", "/office/"):
        assert private not in html
    agency = client.get(f"/statistics/agency/{_id(POLICE)}", query_string=NOVEMBER)
    assert agency.status_code == 200
    assert client.get("/statistics/agency/999999").status_code == 404
    export = client.get("/statistics/export/figures.csv", query_string={**NOVEMBER, "agency": _id(POLICE)})
    assert export.status_code == 200 and "MS-A" not in export.get_data(as_text=True)


def test_exports_hold_the_tables_shown(month, app, people):
    client = _client(app, people["admin"])
    police = _id(POLICE)
    response = client.get("/office/dashboard/export/index.xlsx", query_string={**NOVEMBER, "agency": police})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    on_time = next(row for row in rows if row[3] == 3 and row[4] == 4)
    assert on_time[5] == 15 and on_time[6] == 20
    files = client.get("/office/dashboard/files/late/export.xlsx", query_string={**NOVEMBER, "agency": police})
    codes = [row[0].value for row in load_workbook(io.BytesIO(files.data)).active.iter_rows(min_row=2)]
    assert codes == ["MS-A2"]
    months = client.get("/office/dashboard/export/months.csv", query_string=NOVEMBER).get_data(as_text=True)
    assert "11/2026,9,7,4,3,1" in months
    agencies = client.get("/office/dashboard/export/agencies.csv", query_string=NOVEMBER).get_data(as_text=True)
    assert len(agencies.strip().splitlines()) > 2
