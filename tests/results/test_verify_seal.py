"""Sealed slips: the receipt carries a verification code and the one-stop department's seal, never blocking."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from onestop.extensions import db
from onestop.results.models import SignedDocument, SignedKind, SigningState
from onestop.results.verify import trust_roots
from onestop.signing import client
from onestop.signing.validation import validate_pdf
from tests.conftest import free_port
from tests.office.conftest import POLICE, act, as_staff
from tests.results.test_verify import english, text, upload


@pytest.fixture(scope="session")
def police_seal(signing_world):
    """The police's seal credential, enrolled as `flask signing enrol --seal` does (codes out of band)."""
    body = {
        "userID": f"seal:{POLICE}",
        "agency": POLICE,
        "description": "Công an tỉnh Minh Sơn",
        "commonName": "Công an tỉnh Minh Sơn",
        "organization": "Công an tỉnh Minh Sơn",
        "locality": "Tỉnh Minh Sơn",
        "otp": "oob",
    }
    return client.call_service_sync(signing_world.settings, "admin/v1/credentials", body)["credentialID"]


def _receipt(app, staff, filed):
    _citizen, application_id, citizen = filed
    assert act(as_staff(app, staff["clerk"]), application_id, "accept").status_code == 302
    document = db.session.scalar(select(SignedDocument).where(SignedDocument.kind == SignedKind.SLIP))
    timeline = citizen.get(f"/applications/{application_id}").get_data(as_text=True)
    [link] = re.findall(r'href="(/applications/\d+/slips/\d+\.pdf)"', timeline)
    return document, citizen.get(link)


def test_a_sealed_receipt_verifies(app, portal_signing, police_seal, staff, filed, monkeypatch):
    monkeypatch.setitem(app.config, "SLIP_SEALING", True)
    document, download = _receipt(app, staff, filed)
    assert document.state == SigningState.SIGNED, document.failure
    pdf = download.data
    report = validate_pdf(pdf, trust_roots())
    assert report.is_genuine and report.signer_name == "Công an tỉnh Minh Sơn"
    printed = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert document.verification_code in printed

    page = text(english(app).get(f"/v/{document.verification_code}"))
    assert "Genuine" in page and "Receipt and appointment slip" in page
    assert "electronic seal of the one-stop department" in page and "Ng***n T*** M***" in page
    copy = text(upload(english(app), pdf))
    assert "Your file is exactly the one issued under this code." in copy


def test_a_silent_signing_service_never_blocks_the_receipt(app, portal_signing, staff, filed, monkeypatch):
    monkeypatch.setitem(app.config, "SLIP_SEALING", True)
    monkeypatch.setitem(app.config, "SIGNING_CSC_URL", f"http://127.0.0.1:{free_port()}")
    document, download = _receipt(app, staff, filed)
    assert document.state == SigningState.FAILED and document.failure == "service_unavailable"
    assert download.status_code == 200 and document.verification_code in "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(download.data)).pages
    )
    page = text(english(app).get(f"/v/{document.verification_code}"))
    assert "Issued, but not electronically sealed" in page and "Genuine" not in page


def test_with_sealing_off_the_slip_says_it_is_not_sealed(app, portal_signing, staff, filed):
    document, download = _receipt(app, staff, filed)
    assert download.status_code == 200
    assert document.state == SigningState.FAILED and document.failure == "sealing_off"
    page = english(app).get(f"/v/{document.verification_code}")
    assert page.status_code == 200 and "Issued, but not electronically sealed" in text(page)


def test_the_slip_lists_link_to_the_verification_page(app, portal_signing, staff, filed):
    document, _download = _receipt(app, staff, filed)
    _citizen, application_id, citizen = filed
    citizen.get("/lang/en?next=/")
    timeline = citizen.get(f"/applications/{application_id}").get_data(as_text=True)
    assert f'href="/v/{document.verification_code}"' in timeline
    office = as_staff(app, staff["clerk"]).get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert f'href="/v/{document.verification_code}"' in office
