"""The demo province PKI: certomancer's YAML hierarchy, plus the signers enrolled since, served over HTTP.

certomancer defines the root, the issuing CA, the OCSP responder and the TSA in `provinces/demo/pki/ca.yml`; it
does not generate keys and knows only the certificates its config lists. So this module (a) makes the CA keys
on first use, (b) keeps the signers issued since in `<state>/signers.yml` (public keys only: the private halves
stay in the signing service) and merges them into the config, and (c) wraps certomancer's Animator so that NSS
(poppler's pdfsig) can talk to it: NSS asks OCSP by GET, which certomancer does not route, and rejects OCSP times
with fractions of a second. A real province uses a licensed CA instead and none of this runs.
"""

from __future__ import annotations

import base64
import copy
import fcntl
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from asn1crypto import x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ARCH = "province"
ISSUER = "interm"
_CA_KEYS = ("root", "interm", "interm-ocsp", "tsa")
_SIGNERS_FILE = "signers.yml"


@dataclass(frozen=True)
class DemoPki:
    """Where the demo PKI's config and state live, and the URL its services are reached at."""

    config_path: Path
    state_dir: Path
    url_prefix: str

    @property
    def keys_dir(self) -> Path:
        return self.state_dir / "keys"

    @property
    def tsa_url(self) -> str:
        return f"{self.url_prefix}/{ARCH}/tsa/tsa"

    def root_certificate_pem(self) -> bytes:
        """The trust anchor that validators (pyHanko, NSS) are given."""
        cert = load_config(self).get_pki_arch(ARCH).get_cert("root")
        return _pem(cert.dump())


def ensure_keys(pki: DemoPki) -> None:
    """Make the CA, OCSP and TSA keys the first time (RSA: pyHanko's test TSA and NSS both accept it)."""
    pki.keys_dir.mkdir(parents=True, exist_ok=True)
    for label in _CA_KEYS:
        path = pki.keys_dir / f"{label}.key.pem"
        if path.exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)


def load_config(pki: DemoPki) -> CertomancerConfig:
    """The certomancer config with every enrolled signer merged in."""
    ensure_keys(pki)
    config = yaml.safe_load(pki.config_path.read_text(encoding="utf-8"))
    config = copy.deepcopy(config)
    arch = config["pki-architectures"][ARCH]
    keys = config["keysets"][arch["keyset"]]["keys"]
    for signer in _read_signers(pki):
        label = signer["label"]
        keys[label] = {"path": f"{label}.pub.pem", "public-only": True}
        entity = {"common-name": signer["common_name"]}
        if signer.get("organization"):
            entity["organization-name"] = signer["organization"]
        if signer.get("locality"):
            entity["locality-name"] = signer["locality"]
        arch["entities"][label] = entity
        arch["certs"][label] = _signer_cert_spec(signer)
    return CertomancerConfig(config, key_search_dir=str(pki.keys_dir), external_url_prefix=pki.url_prefix)


def _signer_cert_spec(signer: dict) -> dict:
    spec = {
        "subject": signer["label"],
        "subject-key": signer["label"],
        "issuer": ISSUER,
        "serial": signer["serial"],
        "validity": {"valid-from": signer["valid_from"], "valid-to": signer["valid_to"]},
        "extensions": [
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]},
            },
            {
                "id": "crl_distribution_points",
                "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [ISSUER]}},
            },
            {
                "id": "authority_information_access",
                "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [ISSUER]}},
            },
        ],
    }
    if signer.get("revoked_since"):
        spec["revocation"] = {
            "revoked-since": signer["revoked_since"],
            "reason": signer.get("reason", "cessation_of_operation"),
        }
    return spec


def issue_certificate(
    pki: DemoPki,
    *,
    label: str,
    common_name: str,
    organization: str | None,
    locality: str | None,
    public_key_pem: bytes,
    valid_days: int = 365 * 3,
    valid_from: datetime | None = None,
) -> tuple[bytes, list[bytes]]:
    """Issue a signer certificate from the demo issuing CA; returns (certificate DER, chain DERs up to the root)."""
    start = (valid_from or datetime.now(UTC)).replace(microsecond=0) - timedelta(minutes=5)
    with _locked_signers(pki) as signers:
        signers[:] = [s for s in signers if s["label"] != label]
        signers.append(
            {
                "label": label,
                "common_name": common_name,
                "organization": organization,
                "locality": locality,
                "serial": secrets.randbits(63),
                "valid_from": _iso(start),
                "valid_to": _iso(start + timedelta(days=valid_days)),
            }
        )
        (pki.keys_dir / f"{label}.pub.pem").write_bytes(public_key_pem)
    arch = load_config(pki).get_pki_arch(ARCH)
    chain = [arch.get_cert(parent).dump() for parent in arch.get_chain(label)]
    return arch.get_cert(label).dump(), chain


def revoke_certificate(pki: DemoPki, label: str, reason: str = "cessation_of_operation") -> bool:
    """Mark a signer's certificate revoked from now on: OCSP and the CRL say so from the next request."""
    with _locked_signers(pki) as signers:
        for signer in signers:
            if signer["label"] == label:
                signer["revoked_since"] = _iso(datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1))
                signer["reason"] = reason
                return True
    return False


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _pem(der: bytes) -> bytes:
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode("ascii")


def _read_signers(pki: DemoPki) -> list[dict]:
    path = pki.state_dir / _SIGNERS_FILE
    if not path.exists():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


@contextmanager
def _locked_signers(pki: DemoPki):
    """Read, change and write the signers list under a file lock (the CLI and the service may both write)."""
    ensure_keys(pki)
    lock_path = pki.state_dir / (_SIGNERS_FILE + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        signers = _read_signers(pki)
        yield signers
        tmp = pki.state_dir / (_SIGNERS_FILE + ".tmp")
        tmp.write_text(yaml.safe_dump(signers, allow_unicode=True, sort_keys=False), encoding="utf-8")
        tmp.replace(pki.state_dir / _SIGNERS_FILE)


class PkiServer:
    """WSGI app: certomancer's Animator over the merged config, reloaded when a signer is enrolled or revoked."""

    def __init__(self, pki: DemoPki):
        self.pki = pki
        self._stamp: float | None = None
        self._animator: Animator | None = None

    def _current(self) -> Animator:
        path = self.pki.state_dir / _SIGNERS_FILE
        stamp = path.stat().st_mtime_ns if path.exists() else 0
        if self._animator is None or stamp != self._stamp:
            config = load_config(self.pki)
            self._animator = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
            self._stamp = stamp
        return self._animator

    def __call__(self, environ, start_response):
        ocsp_prefix = f"/{ARCH}/ocsp/"
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith(ocsp_prefix) and path.count("/") >= 4:
            # RFC 6960 appendix A: GET {url}/{base64 of the DER request}; certomancer only routes POST.
            responder, _, encoded = path[len(ocsp_prefix) :].partition("/")
            body = base64.b64decode(_unquote(encoded) + "===")
            environ = dict(environ, REQUEST_METHOD="POST", PATH_INFO=ocsp_prefix + responder)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["CONTENT_TYPE"] = "application/ocsp-request"
            environ["wsgi.input"] = _BytesInput(body)
        # NSS refuses OCSP times with fractions of a second: answer as of the current whole second.
        environ["HTTP_X_CERTOMANCER_FAKE_TIME"] = datetime.now(UTC).replace(microsecond=0).isoformat()
        return self._current()(environ, start_response)


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


class _BytesInput:
    def __init__(self, data: bytes):
        import io

        self._stream = io.BytesIO(data)

    def read(self, *args):
        return self._stream.read(*args)

    def readline(self, *args):
        return self._stream.readline(*args)


def demo_pki_from_env() -> DemoPki:
    """The demo PKI as `make demo` and the tests set it up (see docs/operations.md, "Signing")."""
    base = Path(__file__).resolve().parents[2]
    var_dir = Path(os.environ.get("ONESTOP_VAR_DIR", base / "var"))
    return DemoPki(
        config_path=Path(os.environ.get("PKI_CONFIG", base / "provinces" / "demo" / "pki" / "ca.yml")),
        state_dir=Path(os.environ.get("PKI_STATE_DIR", var_dir / "pki")),
        url_prefix=os.environ.get("PKI_URL", "http://127.0.0.1:5004").rstrip("/"),
    )


def certificate_subject(cert_der: bytes) -> str:
    """The certificate's subject common name, for messages and listings."""
    return x509.Certificate.load(cert_der).subject.native.get("common_name", "")
