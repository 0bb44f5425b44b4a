"""A portal wired to the real signing service and demo PKI (tests/signing), and a result signed through it.

The result is signed the way the approval task signs one: pyHanko's CSC client against the service on
loopback, with a one-time code the service sends out of band, a timestamp from the demo TSA; the signed PDF is
stored in the blob store and described by a SignedDocument, as the results flow leaves it.
"""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from onestop.datastore.backends.base import storage_from_config
from onestop.extensions import db
from onestop.models import utcnow
from onestop.results import verify
from onestop.results.codes import new_code
from onestop.results.models import SignedDocument, SignedKind, SigningState
from onestop.signing import client
from tests.office.conftest import POLICE, filed, staff  # noqa: F401  (fixtures)
from tests.signing.conftest import blank_pdf, signing_world  # noqa: F401  (fixtures)

RESULT_TITLE = {"vi": "Phiếu lý lịch tư pháp số 1", "en": "Criminal record certificate no. 1"}


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
    yield signing_world
    verify.forget_reports()


def sign_with_sent_code(world, pdf: bytes, agency: str, name: str, user_id: str | None = None) -> bytes:
    """Enrol a signer whose codes come out of band, ask for one code and sign with it."""
    body = {
        "userID": user_id or f"staff:{name}",
        "agency": agency,
        "description": name,
        "commonName": name,
        "organization": "Công an tỉnh Minh Sơn",
        "locality": "Tỉnh Minh Sơn",
        "otp": "oob",
    }
    credential = client.call_service_sync(world.settings, "admin/v1/credentials", body)["credentialID"]
    for attempt in range(3):  # the test service's sent codes live two seconds: a slow machine may need another
        otp, _lifetime = client.request_code(credential, agency, world.settings)
        try:
            return client.sign_pdf(pdf, credential, otp, agency, archival=False, settings=world.settings)
        except client.SigningFailed as failure:
            if failure.code != "otp_expired" or attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class SignedResult:
    code: str
    pdf: bytes
    application_id: int
    document_id: int


def store_signed(app, application_id: int, agency_code: str, pdf: bytes, signer: str) -> SignedDocument:
    from onestop.datastore.services import record_blob
    from onestop.provinces.models import Agency

    stored = storage_from_config(app.config).put(io.BytesIO(pdf))
    record_blob(SimpleNamespace(sha256=stored.sha256, size=stored.size, content_type="application/pdf"))
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
    document = SignedDocument(
        kind=SignedKind.RESULT,
        application_id=application_id,
        agency_id=agency.id,
        title=RESULT_TITLE,
        verification_code=new_code(),
        state=SigningState.SIGNED,
        blob_sha256=stored.sha256,
        signer_name=signer,
        signed_at=utcnow(),
    )
    db.session.add(document)
    db.session.commit()
    return document


@pytest.fixture(scope="session")
def result_pdf(signing_world, blank_pdf) -> bytes:  # noqa: F811
    """Signed once per run (signing takes seconds); each test stores it afresh.

    In a thread of its own: the browser journeys' Playwright keeps an event loop running in this one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(sign_with_sent_code, signing_world, blank_pdf, POLICE, "Ngô Thanh Sơn").result()


@pytest.fixture
def signed_result(app, portal_signing, filed, result_pdf) -> SignedResult:  # noqa: F811
    """The police's result for Nguyễn Thị Mai's application, signed by its leader through the real service."""
    _citizen, application_id, _client = filed
    pdf = result_pdf
    document = store_signed(app, application_id, POLICE, pdf, "Ngô Thanh Sơn")
    return SignedResult(document.verification_code, pdf, application_id, document.id)
