"""The real app with the two routes bench/filing.py measures reduced to the bare endpoint's work.

`POST /applications/<id>/documents` saves the uploaded `file` part to BARE_UPLOAD_DIR, as
bench/bare_app.py does, and `POST /applications/<id>/submit` does nothing; both still go through
everything the app does for any signed-in request (session cookie, CSRF check, loading the signed-in
user, Babel, the limiter's global checks, the commit hook) and answer the redirect the real routes
answer. Nothing is checked, stored or submitted: the database is left as it was.

This is the ceiling of the measured operation on this stack: what two signed-in requests of
Flask + Flask-Login + Flask-WTF + Flask-SQLAlchemy cost with no work in them. bench/filing.py measures
it beside the bare endpoint and the real routes, so that a run shows how much of the gap to the bare
endpoint is the routes' own work and how much is the framework's price for any signed-in request.
The GET of the documents page is the real one: the benchmark reads its CSRF token from it.
"""

import os
import uuid
from pathlib import Path

from flask import redirect, request
from flask_login import login_required

from onestop import create_app

app = create_app()
_real_documents = app.view_functions["filing.documents"]


@login_required
def documents(application_id: int):
    if request.method == "GET":
        return _real_documents(application_id)
    request.files["file"].save(Path(os.environ["BARE_UPLOAD_DIR"]) / f"floor-upload-{uuid.uuid4().hex}")
    return redirect(f"/applications/{application_id}/documents")


@login_required
def submit(application_id: int):
    return redirect(f"/applications/{application_id}/receipt")


app.view_functions["filing.documents"] = documents
app.view_functions["filing.submit"] = submit
