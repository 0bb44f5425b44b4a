"""Every back-office route, tried by someone who must not get through: nothing shown, nothing changed."""

import re

import pytest

from onestop.extensions import db
from onestop.procedures.models import Application
from tests.conftest import login
from tests.office.conftest import act, as_staff

OBJECT_GETS = [
    "/office/applications/{id}",
    "/office/applications/{id}/slips/{slip}.pdf",
    "/office/applications/{id}/control.pdf",
]
OBJECT_POSTS = [
    "accept",
    "request-supplement",
    "refuse",
    "transfer",
    "assign",
    "propose",
    "approve",
    "send-back",
    "deliver",
    "apologise",
    "messages",
]
AGENCY_GETS = ["/office/applications", "/office/counter", "/office/tracking-book.xlsx"]


@pytest.fixture
def accepted(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    act(as_staff(app, staff["clerk"]), application_id, "accept")
    slip_id = db.session.get(Application, application_id).slips[0].id
    return application_id, slip_id, citizen_client


def _token(client) -> str:
    page = client.get("/warehouse" if client.get("/warehouse").status_code == 200 else "/account/login")
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.get_data(as_text=True))[1]


def _unchanged(application_id: int, version: int) -> None:
    db.session.expire_all()
    assert db.session.get(Application, application_id).row_version == version


def test_signed_out_visitors_are_sent_to_sign_in(app, accepted):
    application_id, slip_id, _client = accepted
    client = app.test_client()
    for url in [*OBJECT_GETS, *AGENCY_GETS]:
        response = client.get(url.format(id=application_id, slip=slip_id))
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url


def test_citizens_are_refused_every_office_route(app, accepted):
    application_id, slip_id, citizen_client = accepted
    version = db.session.get(Application, application_id).row_version
    for url in [*OBJECT_GETS, *AGENCY_GETS]:
        assert citizen_client.get(url.format(id=application_id, slip=slip_id)).status_code == 403, url
    token = _token(citizen_client)
    for action in OBJECT_POSTS:
        response = citizen_client.post(f"/office/applications/{application_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403, action
    _unchanged(application_id, version)


def test_officers_of_another_agency_find_nothing(app, staff, accepted):
    application_id, slip_id, _client = accepted
    version = db.session.get(Application, application_id).row_version
    ward = as_staff(app, staff["ward_clerk"])
    for url in OBJECT_GETS:
        assert ward.get(url.format(id=application_id, slip=slip_id)).status_code == 404, url
    token = _token(ward)
    for action in OBJECT_POSTS:
        response = ward.post(f"/office/applications/{application_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    _unchanged(application_id, version)


def test_another_citizen_cannot_reach_the_application_by_its_id(app, accepted, create_citizen):
    application_id, slip_id, _client = accepted
    version = db.session.get(Application, application_id).row_version
    other = app.test_client()
    login(other, create_citizen(full_name="Lê Văn Tám").email)
    for url in ("/applications/{id}", "/applications/{id}/slips/{slip}.pdf", "/applications/{id}/supplement"):
        assert other.get(url.format(id=application_id, slip=slip_id)).status_code == 404, url
    token = _token(other)
    for url in ("/applications/{id}/messages", "/applications/{id}/supplement", "/applications/{id}/withdraw"):
        response = other.post(url.format(id=application_id), data={"csrf_token": token, "body": "x", "send": "1"})
        assert response.status_code == 404, url
    _unchanged(application_id, version)


def test_a_slip_id_of_another_application_is_not_found(app, staff, accepted, filed):
    application_id, slip_id, citizen_client = accepted
    clerk = as_staff(app, staff["clerk"])
    # The citizen's own application, but a slip number that belongs to nothing of theirs.
    assert citizen_client.get(f"/applications/{application_id}/slips/{slip_id + 999}.pdf").status_code == 404
    assert clerk.get(f"/office/applications/{application_id}/slips/{slip_id + 999}.pdf").status_code == 404
