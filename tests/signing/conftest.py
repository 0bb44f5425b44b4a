"""The demo PKI (certomancer: TSA, OCSP, CRL) and the signing service, each a real process on loopback.

The signing service runs in its own gunicorn process, as in production, so the test process (playing the
portal) never has a key. Its database is a SQLite file, or SIGNING_TEST_DATABASE_URL (e.g. PostgreSQL).
"""

import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
import requests
from pypdf import PdfWriter

from onestop.signing import client
from onestop.signing.pki import DemoPki
from onestop.signing.storage import new_kek
from tests.conftest import ROOT, free_port

CLIENT_SECRET = "test-signing-client-secret"
SENT_CODE_LIFETIME = 2


def _wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def _start(module: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        f"{module}:app",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/", process)
    except RuntimeError:
        process.terminate()
        raise
    return process


@dataclass
class SigningWorld:
    pki: DemoPki
    settings: client.SigningSettings
    service_url: str
    database_url: str
    kek: str
    env: dict
    process: subprocess.Popen

    def enrol(
        self,
        agency: str = "000.00.30.H99",
        otp: str = "totp",
        valid_days: int | None = None,
        name: str = "Nguyễn Văn Lãnh",
    ):
        body = {
            "userID": f"staff:{name}",
            "agency": agency,
            "description": name,
            "commonName": name,
            "organization": "Sở Tư pháp tỉnh Minh Sơn",
            "locality": "Tỉnh Minh Sơn",
            "otp": otp,
        }
        if valid_days is not None:
            body["validDays"] = valid_days
        answer = client.call_service_sync(self.settings, "admin/v1/credentials", body)
        totp = pyotp.parse_uri(answer["totpURI"]) if answer.get("totpURI") else None
        return answer["credentialID"], totp

    def post(self, method: str, body: dict, token: str | None = "auto") -> requests.Response:
        if token == "auto":
            token = self.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(f"{self.service_url}/{method}", json=body, headers=headers, timeout=30)

    def token(self) -> str:
        form = {"grant_type": "client_credentials", "client_id": "onestop-portal", "client_secret": CLIENT_SECRET}
        return requests.post(f"{self.service_url}/oauth2/token", data=form, timeout=10).json()["access_token"]


@pytest.fixture(scope="session")
def signing_world(app, tmp_path_factory):
    # After `app`: on PostgreSQL it empties the schema the service may share (SIGNING_TEST_DATABASE_URL).
    tmp = tmp_path_factory.mktemp("signing")
    pki_port, service_port = free_port(), free_port()
    pki = DemoPki(ROOT / "provinces" / "demo" / "pki" / "ca.yml", tmp / "pki", f"http://127.0.0.1:{pki_port}")
    database_url = os.environ.get("SIGNING_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'signing.db'}"
    kek = new_kek()
    env = {
        "PKI_CONFIG": str(pki.config_path),
        "PKI_STATE_DIR": str(pki.state_dir),
        "PKI_URL": pki.url_prefix,
        "SIGNING_DATABASE_URL": database_url,
        "SIGNING_KEK": kek,
        "SIGNING_CLIENT_SECRET": CLIENT_SECRET,
        "SIGNING_DEMO_CA": "1",
        "SIGNING_SENT_CODE_LIFETIME": str(SENT_CODE_LIFETIME),
    }
    pki_process = _start("wsgi_pki", pki_port, env, tmp / "pki.log")
    try:
        service = _start("wsgi_signing", service_port, env, tmp / "signing.log")
    except RuntimeError:
        pki_process.terminate()
        raise
    settings = client.SigningSettings(
        csc_url=f"http://127.0.0.1:{service_port}",
        client_id="onestop-portal",
        client_secret=CLIENT_SECRET,
        tsa_url=pki.tsa_url,
        trust_roots=client.load_certificates(pki.root_certificate_pem()),
    )
    world = SigningWorld(pki, settings, settings.csc_url, database_url, kek, env, service)
    yield world
    for process in (service, pki_process):
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fresh_code(totp: pyotp.TOTP) -> str:
    """A code of a TOTP step not used yet by this test run: waits for the next step if needed."""
    step = totp.timecode(_now())
    if step in _used_steps.setdefault(totp.secret, set()):
        time.sleep(totp.interval - (time.time() % totp.interval) + 0.05)
        step = totp.timecode(_now())
    _used_steps[totp.secret].add(step)
    return totp.generate_otp(step)


_used_steps: dict[str, set[int]] = {}


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
