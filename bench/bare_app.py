"""The baseline for the benchmarks: Flask with the least a route can do and nothing else.

Served by gunicorn with the same settings and environment as the real app, so that the ratio
real / bare removes the machine, the server and the HTTP client from the figures.

- `GET /` returns "ok" (bench/catalogue.py).
- `POST /upload` receives a multipart upload and saves its `file` part, as werkzeug parsed it, to a
  new file in BARE_UPLOAD_DIR (bench/filing.py sets it to a temporary folder): no checks, no database.
"""

import os
import tempfile
import uuid
from pathlib import Path

from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"


@app.post("/upload")
def upload() -> str:
    folder = Path(os.environ.get("BARE_UPLOAD_DIR") or tempfile.gettempdir())
    request.files["file"].save(folder / f"bare-upload-{uuid.uuid4().hex}")
    return "ok"
