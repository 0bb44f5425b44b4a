"""Celery entry point: `celery -A onestop.worker worker`."""

import os

from onestop import create_app
from onestop.config import DemoConfig

flask_app = create_app(DemoConfig if os.environ.get("ONESTOP_DEMO") == "1" else None)
celery = flask_app.extensions["celery"]
