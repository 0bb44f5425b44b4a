"""Approving a file is signing it: the one way every test package approves, through the real signing service.

`portal_signing` points the portal at the session's loopback signing service, TSA and demo root
(tests/signing/conftest.py); `approve_by_signing` enrols the leader (a fresh TOTP credential each time, so that
no code is ever reused), opens the signing page as the leader, attaches a PDF when the procedure has no result
template, and signs with a real one-time code. The Celery task runs eagerly in tests, so the file has moved on
when it returns. Import the fixtures into a conftest: `from tests.approving import portal_signing, signing_world`.
"""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pyotp
import pytest

from onestop.extensions import db
from onestop.i18n import localized
from onestop.procedures.models import Application
from onestop.results import signing, verify
from onestop.signing import client
from tests.filing import pdf_bytes
from tests.signing.conftest import blank_pdf, fresh_code, signing_world  # noqa: F401  (fixtures)


@pytest.fixture
def portal_signing(app, signing_world, tmp_path, monkeypatch):  # noqa: F811
    """The portal's SIGNING_* settings pointed at the loopback service, TSA and the demo root."""
    roots = tmp_path / "root.pem"
    roots.write_bytes(signing_world.pki.root_certificate_pem())
    settings = signing_world.settings
    monkeypatch.setitem(app.config, "SIGNING_CSC_URL", settings.csc_url)
    monkeypatch.setitem(app.config, "SIGNING_CLIENT_ID", settings.client_id)
    monkeypatch.setitem(app.config, "SIGNING_CLIENT_SECRET", settings.client_secret)
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", settings.tsa_url)
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", str(roots))
    verify.forget_reports()
    signing._CREDENTIALS.clear()
    yield signing_world
    signing._CREDENTIALS.clear()
    verify.forget_reports()


def enrol_staff(world, user, agency: str | None = None, otp: str = "totp") -> pyotp.TOTP | None:
    """A new signing credential for this officer (the newest is the one signing uses), with its TOTP."""
    row = getattr(user, "agency", None)  # a plain namespace off the app's thread has only its id and name
    body = {
        "userID": f"staff:{user.id}",
        "agency": agency or row.code,
        "description": user.full_name,
        "commonName": user.full_name,
        "organization": localized(row.name, "vi") if row is not None else agency,
        "locality": "Tỉnh Minh Sơn",
        "otp": otp,
    }
    answer = client.call_service_sync(world.settings, "admin/v1/credentials", body)
    signing._CREDENTIALS.pop((world.settings.csc_url, user.id), None)  # a cached older credential is not this one
    return pyotp.parse_uri(answer["totpURI"]) if answer.get("totpURI") else None


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def sign_form(page: str) -> dict:
    return {
        "csrf_token": form_token(page),
        "sha256": re.search(r'name="sha256" value="([0-9a-f]{64})"', page)[1],
        "version": re.search(r'name="version" value="(\d+)"', page)[1],
    }


def sign_page(leader_client, application_id: int) -> str:
    """The leader's signing page, with a result PDF attached first when the procedure has no result template."""
    url = f"/office/applications/{application_id}/result/sign"
    page = leader_client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    html = page.get_data(as_text=True)
    if 'name="sha256"' not in html:
        draft = leader_client.get(f"/office/applications/{application_id}/result/draft").get_data(as_text=True)
        upload = leader_client.post(
            f"/office/applications/{application_id}/result/upload",
            data={"csrf_token": form_token(draft), "result": (io.BytesIO(pdf_bytes()), "ket-qua.pdf")},
            content_type="multipart/form-data",
        )
        assert upload.status_code == 302, upload.get_data(as_text=True)[:500]
        html = leader_client.get(url).get_data(as_text=True)
    return html


def configured_world(app) -> SimpleNamespace:
    """The signing service the app is configured for (by `portal_signing`), for helpers not given the fixture."""
    return SimpleNamespace(settings=client.settings_from_config(app.config))


def _enrol_and_sign(world, leader_client, signer, application_id: int):
    totp = enrol_staff(world, signer)
    html = sign_page(leader_client, application_id)
    return leader_client.post(
        f"/office/applications/{application_id}/result/sign", data=sign_form(html) | {"otp": fresh_code(totp)}
    )


def approve_by_signing(world, leader_client, leader, application_id: int) -> Application:
    """The leader approves the proposal (result or refusal) by signing it with a fresh TOTP code."""
    # The signing client runs an event loop of its own: beside a browser journey's Playwright (which keeps one
    # running in this thread) it signs from another thread, given plain values rather than database rows.
    agency = SimpleNamespace(code=leader.agency.code, name=dict(leader.agency.name))
    signer = SimpleNamespace(id=leader.id, full_name=leader.full_name, agency=agency)
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(_enrol_and_sign, world, leader_client, signer, application_id).result()
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    assert application.state != "awaiting_approval", leader_client.get(
        f"/office/applications/{application_id}/result/sign"
    ).get_data(as_text=True)[:2000]
    return application
