"""Production refuses the demo secret key, and accepts a real one."""

import pytest

from onestop import create_app
from onestop.config import DEMO_SECRET_KEY


@pytest.fixture(autouse=True)
def _keep_the_suite_celery(app):
    """create_app makes its Celery app the default; give the suite's back afterwards."""
    yield
    app.extensions["celery"].set_default()


def test_production_refuses_the_demo_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ONESTOP_ENV": "production", "SECRET_KEY": DEMO_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_secret_key():
    app = create_app(
        {
            "ONESTOP_ENV": "production",
            "SECRET_KEY": "a" * 40,
            "PUBLIC_URL": "https://dichvucong.example.gov.vn",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
