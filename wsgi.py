"""Entry point for gunicorn and the flask command: `gunicorn wsgi:app`."""

import os

from onestop import create_app
from onestop.config import DemoConfig

app = create_app(DemoConfig if os.environ.get("ONESTOP_DEMO") == "1" else None)
