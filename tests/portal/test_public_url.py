"""Links the portal sends point where it is served: the demo's PORT, or PUBLIC_URL, which production must set."""

import flask_migrate
import pytest
from sqlalchemy import select

from onestop import create_app
from onestop.config import DemoConfig
from onestop.extensions import db
from onestop.notifications.models import OutboxMessage
from tests.conftest import csrf_token

PRODUCTION = {
    "SECRET_KEY": "a" * 40,
    "AUDIT_CHAIN_KEY": "b" * 40,
    "VNPAY_HASH_SECRET": "c" * 32,
    "SMS_BACKEND": "disabled",
    "MAIL_SERVER": "smtp.minhson.example",
}


@pytest.fixture(autouse=True)
def _keep_the_suite_celery(app):
    """create_app makes its Celery app the default; give the suite's back afterwards."""
    yield
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()


def _production(**settings):
    return create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


@pytest.mark.parametrize("public_url", ["", "dichvucong.example.gov.vn", "https://", "ftp://example.gov.vn"])
def test_outside_the_demo_the_app_does_not_start_without_a_public_url(monkeypatch, public_url):
    monkeypatch.setenv("PORT", "5055")
    with pytest.raises(RuntimeError, match="PUBLIC_URL") as refused:
        _production(PUBLIC_URL=public_url)
    assert "export PUBLIC_URL=https://" in str(refused.value)


def test_outside_the_demo_the_public_url_is_the_one_set(monkeypatch):
    monkeypatch.setenv("PORT", "5055")
    app = _production(PUBLIC_URL="https://dichvucong.example.gov.vn")
    assert app.config["PUBLIC_URL"] == "https://dichvucong.example.gov.vn"


def test_the_demo_on_another_port_e_mails_links_to_that_port(monkeypatch, tmp_path):
    monkeypatch.setenv("PORT", "5055")
    settings = {key: getattr(DemoConfig, key) for key in dir(DemoConfig) if key.isupper()}
    settings.update(
        PUBLIC_URL="",  # as `ONESTOP_DEMO=1 flask ...` without the Makefile: derived from PORT
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'demo.db'}",
        BLOB_DIR=str(tmp_path / "blobs"),
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER=True,
        RATELIMIT_STORAGE_URI="memory://",
    )
    demo = create_app(settings)
    assert demo.config["PUBLIC_URL"] == "http://127.0.0.1:5055"
    with demo.app_context():
        flask_migrate.upgrade()
    client = demo.test_client()
    page = client.get("/account/register")
    response = client.post(
        "/account/register",
        data={
            "full_name": "Nguyễn Thị Mai",
            "citizen_id": "001190012345",
            "email": "mai@example.com",
            "password": "matkhau2026",
            "password_again": "matkhau2026",
            "consent": "y",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    with demo.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "mai@example.com")).one()
        assert "http://127.0.0.1:5055/account/confirm/" in mail.body
        db.session.remove()
