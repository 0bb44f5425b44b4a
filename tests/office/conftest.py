"""Back-office fixtures: the demo province's police staff and a criminal-record application sent to them."""

import re

import pytest

from onestop.accounts.models import Role
from tests.approving import approve_by_signing, portal_signing, signing_world  # noqa: F401  (fixtures)
from tests.conftest import login
from tests.filing import fill_all_steps, pdf_bytes, send, upload

POLICE = "000.00.02.H99"
WARD = "000.00.30.H99"


@pytest.fixture
def staff(create_staff):
    return {
        "clerk": create_staff(Role.CLERK, POLICE, "Đặng Thị Lan"),
        "specialist": create_staff(Role.SPECIALIST, POLICE, "Bùi Văn Nam"),
        "leader": create_staff(Role.LEADER, POLICE, "Ngô Thanh Sơn"),
        "ward_clerk": create_staff(Role.CLERK, WARD, "Phạm Thu Trang"),
    }


@pytest.fixture
def filed(app, demo, create_citizen):
    """A citizen's criminal-record application, sent to the provincial police; returns (citizen, id).

    The citizen is in a fee-exempt group, so that the result can be issued without a payment; the
    fee's own rules are tested in tests/payments and in test_workflow's unpaid-fee test.
    """
    return file_lltp(app, create_citizen, fee_category="exempt")


def file_lltp(app, create_citizen, delivery: str = "online", **certificate):
    citizen = create_citizen(full_name="Nguyễn Thị Mai", email="mai@example.com")
    client = app.test_client()
    login(client, citizen.email)
    application_id = fill_all_steps(client, **certificate)
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    response = send(client, application_id, delivery=delivery)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return citizen, application_id, client


@pytest.fixture
def approve(portal_signing, staff):  # noqa: F811
    """`approve(leader_client, application_id)`: the staff leader approves the proposal by signing it."""

    def approve(leader_client, application_id: int, leader=None):
        return approve_by_signing(portal_signing, leader_client, leader or staff["leader"], application_id)

    return approve


def as_staff(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def act(client, application_id: int, action: str, data: dict | None = None, **kwargs):
    page = client.get(f"/office/applications/{application_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    return client.post(
        f"/office/applications/{application_id}/{action}", data={"csrf_token": token, **(data or {})}, **kwargs
    )
