"""Signed results on the real signing service and demo PKI (tests/signing) on loopback.

Two ways in: the approval flow (an application up to the leader's approval; the leader signs with a real TOTP
code; the test process never holds a key), and a result signed directly through pyHanko's CSC client and
stored as the flow leaves it, for the verification page's tests.
"""

import io
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.datastore.backends.base import storage_from_config
from onestop.extensions import db
from onestop.models import utcnow
from onestop.provinces.models import Agency
from onestop.results.codes import new_code
from onestop.results.models import SignedDocument, SignedKind, SigningState
from onestop.signing import client
from tests.approving import enrol_staff, form_token, portal_signing, sign_form  # noqa: F401  (fixtures, helpers)
from tests.conftest import PASSWORD
from tests.office.conftest import POLICE, act, as_staff, file_lltp, filed  # noqa: F401  (fixtures)
from tests.signing.conftest import blank_pdf, fresh_code, signing_world  # noqa: F401  (fixtures)

RESULT_TITLE = {"vi": "Phiếu lý lịch tư pháp số 1", "en": "Criminal record certificate no. 1"}


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


__all__ = ["fresh_code"]


def _staff(demo, role, agency_code: str, name: str):
    """Staff with a random high id: the signing service outlives each test's tables, and its credentials are
    keyed by `staff:<id>`, so ids reused from an earlier test must not find that test's credentials."""
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
    user = User(
        id=10**6 + secrets.randbelow(10**9),
        full_name=name,
        email=f"{secrets.token_hex(4)}@minhson.example",
        role=role,
        agency_id=agency.id,
        province_id=demo.id,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def staff(demo):
    return {
        "clerk": _staff(demo, Role.CLERK, POLICE, "Đặng Thị Lan"),
        "specialist": _staff(demo, Role.SPECIALIST, POLICE, "Bùi Văn Nam"),
        "leader": _staff(demo, Role.LEADER, POLICE, "Ngô Thanh Sơn"),
        "other_leader": _staff(demo, Role.LEADER, "000.00.30.H99", "Phan Văn Khải"),
    }


@pytest.fixture
def signing_config(portal_signing):  # noqa: F811
    """The approval flow's name for the same settings."""
    return portal_signing


@pytest.fixture
def awaiting(app, demo, create_citizen, staff):
    """(citizen client, application id, clients by role) with the specialist's proposal to issue the result."""
    _citizen, application_id, citizen_client = file_lltp(app, create_citizen, fee_category="exempt")
    clients = {role: as_staff(app, user) for role, user in staff.items()}
    assert act(clients["clerk"], application_id, "accept").status_code == 302
    assert act(clients["leader"], application_id, "assign", {"specialist": staff["specialist"].id}).status_code == 302
    assert act(clients["specialist"], application_id, "propose", {"decision": "approve", "note": ""}).status_code == 302
    return citizen_client, application_id, clients
