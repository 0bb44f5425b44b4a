"""Ratings fixtures: the police's staff, a criminal-record file sent to them, and helpers to end it and rate it."""

import re

import pytest

from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.ratings.models import RatingInvitation, ServiceRating
from tests.approving import approve_by_signing, configured_world, portal_signing, signing_world  # noqa: F401
from tests.conftest import csrf_token, outbox
from tests.office.conftest import act, as_staff, file_lltp, staff  # noqa: F401  (fixtures shared with the office)


@pytest.fixture
def filed(app, demo, create_citizen):
    return file_lltp(app, create_citizen, fee_category="exempt")


def state_of(application_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Application, application_id).state


def deliver_result(app, officers: dict, application_id: int) -> None:
    """Accept, assign, propose, and approve by signing: a result that comes online ends the file RETURNED."""
    clerk, leader, specialist = (as_staff(app, officers[role]) for role in ("clerk", "leader", "specialist"))
    assert act(clerk, application_id, "accept").status_code == 302
    assert act(leader, application_id, "assign", {"specialist": officers["specialist"].id}).status_code == 302
    assert act(specialist, application_id, "propose", {"decision": "approve", "note": "Hợp lệ"}).status_code == 302
    approve_by_signing(configured_world(app), leader, officers["leader"], application_id)
    assert state_of(application_id) == "returned"


@pytest.fixture(autouse=True)
def _signing(portal_signing):  # noqa: F811
    """Every rating follows a result, and every result is signed: the portal signs on the loopback service."""
    return portal_signing


def invitations(application_id: int) -> list[RatingInvitation]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(RatingInvitation).where(RatingInvitation.application_id == application_id))
    )


def invitation_mail(recipient: str = "mai@example.com"):
    return [m for m in outbox() if m.event == "rating_invited" and m.recipient == recipient]


def ratings() -> list[ServiceRating]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(ServiceRating).order_by(ServiceRating.id)))


def rate(client, first_page: str, answers: dict, expect: int = 302):
    """Answer the one-section rating page at `first_page` (a path) and send it."""
    html = client.get(first_page).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "action": "next", **answers}
    token = re.search(r'name="token" value="([^"]+)"', html)
    if token:
        data["token"] = token[1]
    response = client.post(first_page, data=data)
    assert response.status_code == expect, response.get_data(as_text=True)[:500]
    return response


GOOD = {"q-q1": "5", "q-q2": "yes", "q-q3": "4", "q-q4": "5", "q-q5": "Cán bộ hướng dẫn tận tình"}
