"""Shared fixtures: one app per test session on SQLite or PostgreSQL (TEST_DATABASE_URL), migrated
from an empty schema, and a clean database for every test.

Factories follow Indico's callable style: `create_citizen(...)` returns a saved user.
"""

import contextvars
import email
import email.message
import email.policy
import os
import re
import socket
from pathlib import Path

import flask_migrate
import pytest
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from onestop import create_app
from onestop.config import TestConfig
from onestop.extensions import db, limiter
from onestop.help.search import forget_index
from onestop.portal.cache import forget_pages
from onestop.portal.context import forget_province
from onestop.procedures import reference
from onestop.procedures.search import forget_caches

ROOT = Path(__file__).resolve().parent.parent
DEMO_PACK = ROOT / "provinces" / "demo"
PASSWORD = "correct horse 42"


class IsolatedClient(FlaskClient):
    """Each request gets its own application context, `g` and database session, as in production.

    Without this, Flask reuses the context the test pushed, so `g` (CSRF token, signed-in user,
    served province) would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # requests sent from a helper thread have no test context around them
            # The test's own session must see what the request committed.
            db.session.rollback()
        return response


def _config(database_url: str, tmp: Path) -> dict:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, BLOB_DIR=str(tmp / "blobs"))
    return config


def _empty_database() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("onestop")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"
    app = create_app(_config(url, tmp))
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_database()
        # The suite runs on the schema the migrations build, so the migrations are tested on both databases.
        flask_migrate.upgrade()
    return app


def _truncate_all() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean(request, app):
    """Every test starts from empty tables, an empty rate-limit store and a fresh app context.

    Tests that build apps of their own make those apps' Celery the process default; the suite's app
    takes it back, so that tasks queued by this test run eagerly in this app.
    """
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()
    with app.app_context():
        yield
        db.session.remove()
        _truncate_all()
        limiter.reset()
        forget_caches()
        forget_index()
        reference.forget()
        forget_pages()
        forget_province()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def demo_pack():
    from onestop.provinces.pack import read_pack

    return read_pack(DEMO_PACK)


@pytest.fixture
def demo(app, demo_pack):
    """The demo province loaded; returns the Province."""
    from onestop.provinces.services import apply_pack

    apply_pack(demo_pack)
    db.session.commit()
    from onestop.provinces.services import served_province

    return served_province("MS")


# --- factories ---------------------------------------------------------------------------------


@pytest.fixture
def create_citizen(app):
    from onestop.accounts.models import Role, User
    from onestop.models import utcnow

    counter = iter(range(1, 10_000))

    def _create(full_name="Trần Văn Bình", citizen_id=None, email=None, phone=None, confirmed=True, **extra):
        n = next(counter)
        user = User(
            full_name=full_name,
            citizen_id=citizen_id or f"0010900{n:05d}",
            email=email if email is not None else f"citizen{n}@example.com",
            phone=phone,
            role=Role.CITIZEN,
            email_confirmed_at=utcnow() if confirmed else None,
            **extra,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return _create


@pytest.fixture
def create_staff(app, demo):
    from onestop.accounts.models import Role, User
    from onestop.provinces.models import Agency

    counter = iter(range(1, 10_000))

    def _create(role=Role.CLERK, agency_code="000.00.30.H99", full_name="Cán bộ Thử", email=None):
        n = next(counter)
        agency = db.session.scalar(db.select(Agency).where(Agency.code == agency_code)) if agency_code else None
        user = User(
            full_name=full_name,
            email=email or f"staff{n}@minhson.example",
            role=role,
            agency_id=agency.id if agency and role != Role.PROVINCE_ADMIN else None,
            province_id=demo.id,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return _create


# --- HTTP helpers ------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def submit(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Open the page holding the form (for its CSRF token), then post the form as a browser would."""
    form_page = client.get(page or url)
    return client.post(url, data={**data, "csrf_token": csrf_token(form_page.get_data(as_text=True))}, **kwargs)


def login(client, login_name: str, password: str = PASSWORD):
    return submit(client, "/account/login", {"login": login_name, "password": password})


def outbox(channel: str | None = None):
    from onestop.notifications.models import OutboxMessage

    query = db.select(OutboxMessage).order_by(OutboxMessage.id)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return list(db.session.scalars(query))


def link_in(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, f"no link in: {body!r}"
    return match.group(0)


# --- a real SMTP server -------------------------------------------------------------------------


def free_port() -> int:
    # aiosmtpd's start-up self-check connects to the port it was given, so port 0 cannot be used.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message received, parsed, in arrival order."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def start_smtp(app, monkeypatch) -> tuple[Controller, Inbox]:
    """Start a real SMTP server on 127.0.0.1 and point the app's mail at it for this test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    return controller, inbox


@pytest.fixture
def smtp_server(app, monkeypatch):
    """Yields the list of messages the app sends during the test, received over real SMTP."""
    controller, inbox = start_smtp(app, monkeypatch)
    try:
        yield inbox.messages
    finally:
        controller.stop()
