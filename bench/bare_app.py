"""The baseline for bench/catalogue.py: Flask with one route and nothing else.

Served by gunicorn with the same settings and environment as the real app, so that the ratio
real / bare removes the machine, the server and the HTTP client from the figures.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"
