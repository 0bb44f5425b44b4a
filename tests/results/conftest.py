"""A criminal-record application up to the leader's approval, the real signing service and PKI on loopback, and
the portal pointed at them: the leader signs with a real TOTP code; the test process never holds a key."""

import re
import secrets

import pyotp
import pytest
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.provinces.models import Agency
from onestop.signing import client
from tests.conftest import PASSWORD
from tests.office.conftest import POLICE, act, as_staff, file_lltp
from tests.signing.conftest import blank_pdf, fresh_code, signing_world  # noqa: F401  (fixtures shared)

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
def signing_config(app, signing_world, tmp_path, monkeypatch):  # noqa: F811
    """The portal's SIGNING_* settings pointing at the loopback service, TSA and demo root."""
    roots = tmp_path / "root.pem"
    roots.write_bytes(signing_world.pki.root_certificate_pem())
    settings = signing_world.settings
    monkeypatch.setitem(app.config, "SIGNING_CSC_URL", settings.csc_url)
    monkeypatch.setitem(app.config, "SIGNING_CLIENT_ID", settings.client_id)
    monkeypatch.setitem(app.config, "SIGNING_CLIENT_SECRET", settings.client_secret)
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", settings.tsa_url)
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", str(roots))
    return signing_world


def enrol_staff(world, user, agency: str = POLICE, otp: str = "totp") -> pyotp.TOTP | None:
    body = {
        "userID": f"staff:{user.id}",
        "agency": agency,
        "description": user.full_name,
        "commonName": user.full_name,
        "organization": "Công an tỉnh Minh Sơn",
        "locality": "Tỉnh Minh Sơn",
        "otp": otp,
    }
    answer = client.call_service_sync(world.settings, "admin/v1/credentials", body)
    return pyotp.parse_uri(answer["totpURI"]) if answer.get("totpURI") else None


@pytest.fixture
def awaiting(app, demo, create_citizen, staff):
    """(citizen client, application id, clients by role) with the specialist's proposal to issue the result."""
    _citizen, application_id, citizen_client = file_lltp(app, create_citizen, fee_category="exempt")
    clients = {role: as_staff(app, user) for role, user in staff.items()}
    assert act(clients["clerk"], application_id, "accept").status_code == 302
    assert act(clients["leader"], application_id, "assign", {"specialist": staff["specialist"].id}).status_code == 302
    assert act(clients["specialist"], application_id, "propose", {"decision": "approve", "note": ""}).status_code == 302
    return citizen_client, application_id, clients


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def sign_form(page: str) -> dict:
    return {
        "csrf_token": form_token(page),
        "sha256": re.search(r'name="sha256" value="([0-9a-f]{64})"', page)[1],
        "version": re.search(r'name="version" value="(\d+)"', page)[1],
    }
