"""Feedback fixtures: the demo province, officers of two agencies, a fixed clock, and a way to send feedback."""

import io
import re
from datetime import UTC, datetime

import pytest

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.feedback.models import Feedback
from onestop.provinces.models import Agency
from tests.conftest import csrf_token, login

POLICE = "000.00.02.H99"
WARD = "000.00.30.H99"
JUSTICE_SLUG = "cap-phieu-ly-lich-tu-phap"  # received by the provincial police
BIRTH_SLUG = "dang-ky-khai-sinh"  # received by the ward
# Wednesday 2 December 2026, 10:00 in Vietnam.
SENT_AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Pin "now" for sending and forwarding, and "today" for the overdue flags; returns a setter."""
    moments = {"now": SENT_AT}

    def now():
        return moments["now"]

    monkeypatch.setattr("onestop.feedback.services.utcnow", now)
    monkeypatch.setattr("onestop.localtime.utcnow", now)

    def set_now(moment: datetime) -> None:
        moments["now"] = moment

    return set_now


@pytest.fixture
def officers(create_staff):
    return {
        "police_clerk": create_staff(Role.CLERK, POLICE, "Đặng Thị Lan"),
        "police_leader": create_staff(Role.LEADER, POLICE, "Ngô Thanh Sơn"),
        "ward_clerk": create_staff(Role.CLERK, WARD, "Phạm Thu Trang"),
        "ward_leader": create_staff(Role.LEADER, WARD, "Lê Văn Cường"),
    }


def agency_id(code: str) -> int:
    return db.session.scalar(db.select(Agency.id).where(Agency.code == code))


def signed_in(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def post_form(client, url: str, data: dict, page: str | None = None, files=()):
    """Post a form as a browser does, with its CSRF token, optionally with files (name, bytes)."""
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    payload = {"csrf_token": token, **data}
    if files:
        payload["attachments"] = [(io.BytesIO(content), name) for name, content in files]
        return client.post(url, data=payload, content_type="multipart/form-data")
    return client.post(url, data=payload)


def send_feedback(client, query: str = "", files=(), **fields) -> tuple:
    """Send feedback through the form; returns (response, the Feedback or None)."""
    data = {"kind": "question", "title": "Hỏi về thời hạn", "body": "Bao lâu thì có kết quả?", **fields}
    response = post_form(client, f"/feedback/new{query}", data, files=files)
    match = re.search(r'class="code">([A-Z0-9]{10})<', response.get_data(as_text=True))
    feedback = db.session.scalar(db.select(Feedback).where(Feedback.code == match[1])) if match else None
    return response, feedback


def sent_feedback(province, citizen, agency_code: str) -> Feedback:
    """Feedback about an agency, sent and committed through the service (for pages that need one to show)."""
    from onestop.feedback import services
    from onestop.feedback.models import FeedbackKind

    feedback = services.send_feedback(
        province,
        citizen,
        services.Subject(),
        kind=FeedbackKind.QUESTION,
        title="When is the result due?",
        body="I filed last week.",
        agency_id=agency_id(agency_code),
    )
    db.session.commit()
    return feedback
