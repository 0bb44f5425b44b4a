"""Rate limits hold across worker processes: every process counts in one shared store."""

import json
import subprocess
import sys

from tests.conftest import ROOT

# One gunicorn worker: its own process, its own Flask-Limiter, the same database.
WORKER = """
import json, sys
from onestop import create_app
settings = json.loads(sys.argv[1])
app = create_app(settings)
client = app.test_client()
statuses = [
    client.post("/account/login", data={"login": "an@example.com", "password": "wrong-pass1"}).status_code
    for _ in range(settings["ATTEMPTS"])
]
print(json.dumps({"store": app.config["RATELIMIT_STORAGE_URI"], "statuses": statuses}))
"""


def _worker(app, attempts: int, **settings) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": False,
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": True,
        "RATELIMIT_STORAGE_URI": "",
        "REDIS_URL": "",
        "ATTEMPTS": attempts,
        **settings,
    }
    done = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_workers_without_redis_share_one_allowance_in_the_database(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    first = _worker(app, 6)
    second = _worker(app, 6)
    assert first["store"] == second["store"] == "onestop-db://"
    # 10 sign-in attempts a minute per address, whichever worker answers.
    assert first["statuses"] == [422] * 6
    assert second["statuses"] == [422] * 4 + [429] * 2


def test_a_redis_broker_or_redis_url_becomes_the_shared_store():
    from onestop.ratelimit import storage_uri

    assert storage_uri({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}) == "redis://127.0.0.1:6379/0"
    assert (
        storage_uri({"REDIS_URL": "rediss://cache:6380/2", "CELERY_BROKER_URL": "amqp://mq"}) == "rediss://cache:6380/2"
    )
    assert storage_uri({"RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": "redis://cache"}) == "memory://"
    assert storage_uri({"CELERY_BROKER_URL": "sqla+sqlite:///var/broker.db"}) == "onestop-db://"
