"""Outside the demo and the tests, the app refuses demo or missing secrets and tells the operator how to set them."""

import os
import subprocess
import sys

import pytest

from onestop import create_app
from onestop.config import DEMO_SECRET_KEY
from onestop.payments import vnpay
from onestop.secrets_check import InsecureConfiguration
from tests.conftest import ROOT

REAL = {
    "SECRET_KEY": "s" * 48,
    "AUDIT_CHAIN_KEY": "a" * 48,
    "VNPAY_HASH_SECRET": "V" * 32,
    "SMS_BACKEND": "brandname",
    "MAIL_SERVER": "smtp.minhson.example",
    "SMS_SECRET": "S" * 32,
    "PUBLIC_URL": "https://dichvucong.example.gov.vn",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    # The suite's own store: Flask-Limiter is one object, so an app built here would change the suite's.
    "RATELIMIT_STORAGE_URI": "memory://",
    "ONESTOP_DEMO": False,
    "TESTING": False,
}


@pytest.fixture(autouse=True)
def _keep_the_suite_celery(app):
    """create_app makes its Celery app the default; give the suite's back afterwards."""
    yield
    app.extensions["celery"].set_default()


@pytest.mark.parametrize(
    ("setting", "value", "told"),
    [
        ("SECRET_KEY", DEMO_SECRET_KEY, 'export SECRET_KEY="$(python3 -c'),
        ("SECRET_KEY", "", "SECRET_KEY is not set"),
        ("AUDIT_CHAIN_KEY", "", "AUDIT_CHAIN_KEY_SINCE"),
        ("AUDIT_CHAIN_KEY", "s" * 48, "AUDIT_CHAIN_KEY is the same as SECRET_KEY"),
        ("VNPAY_HASH_SECRET", vnpay.DEMO_HASH_SECRET, "VNPAY_HASH_SECRET is the mock gateway's demo secret"),
        ("DEV_MAILBOX", True, "/dev/mailbox"),
        ("MAIL_SERVER", "", "every e-mail would be marked sent and reach no one"),
    ],
)
def test_outside_the_demo_a_demo_or_missing_secret_stops_the_start(setting, value, told):
    with pytest.raises(InsecureConfiguration) as refused:
        create_app({**REAL, setting: value})
    assert told in str(refused.value) and "docs/operations.md" in str(refused.value)


def test_real_secrets_start_and_there_is_no_mailbox_page():
    app = create_app(REAL)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.test_client().get("/dev/mailbox").status_code == 404


def _start(module: str, tmp_path, **env) -> subprocess.CompletedProcess:
    """Import an entry point (gunicorn's wsgi:app, Celery's onestop.worker) in a fresh process."""
    clean = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "AUDIT_CHAIN_KEY"}}
    clean.pop("ONESTOP_DEMO", None)
    clean.update(ONESTOP_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_demo_and_its_worker_start_on_demo_secrets_and_production_does_not(tmp_path):
    assert _start("wsgi", tmp_path, ONESTOP_DEMO="1").returncode == 0
    assert _start("onestop.worker", tmp_path, ONESTOP_DEMO="1").returncode == 0
    refused = _start("wsgi", tmp_path)
    assert refused.returncode != 0 and "SECRET_KEY is the demo value" in refused.stderr


def test_limits_counted_per_process_are_announced_at_start_up(caplog):
    create_app(REAL)
    assert any("counted per process" in record.getMessage() for record in caplog.records)
