"""The baseline for the benchmarks: Flask with the least a route can do and nothing else.

Served by gunicorn with the same settings and environment as the real app, so that the ratio
real / bare removes the machine, the server and the HTTP client from the figures.

- `GET /` returns "ok" (bench/catalogue.py).
- `POST /upload` receives a multipart upload and saves its `file` part, as werkzeug parsed it, to a
  new file in BARE_UPLOAD_DIR (bench/filing.py sets it to a temporary folder): no checks, no database.
- `GET /ipn?vnp_TxnRef=...` does one indexed UPDATE of the table bench_bare_order (made by bench/ipn.py)
  in DATABASE_URL, pending → paid, and answers like an IPN endpoint: 00 if it moved the row, else 02.
  No signature, no log, no ledger: the least an IPN endpoint can do (bench/ipn.py).
"""

import os
import tempfile
import uuid
from pathlib import Path

from flask import Flask, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
_engine = None


def engine():
    global _engine
    if _engine is None:
        _engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    return _engine


@app.get("/")
def index() -> str:
    return "ok"


@app.post("/upload")
def upload() -> str:
    folder = Path(os.environ.get("BARE_UPLOAD_DIR") or tempfile.gettempdir())
    request.files["file"].save(folder / f"bare-upload-{uuid.uuid4().hex}")
    return "ok"


@app.get("/ipn")
def ipn() -> dict:
    with engine().begin() as connection:
        moved = connection.execute(
            text("UPDATE bench_bare_order SET state = 'paid' WHERE txn_ref = :ref AND state = 'pending'"),
            {"ref": request.args.get("vnp_TxnRef", "")},
        ).rowcount
    return {"RspCode": "00" if moved else "02", "Message": "Confirm Success" if moved else "Order already confirmed"}
