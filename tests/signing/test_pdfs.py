"""PDFs signed through the CSC service are PAdES B-LT/B-LTA that pyHanko and poppler's pdfsig accept offline
against the demo root, and that both reject after one changed byte; bad files get a plain report."""

import io
import shutil
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader, PdfWriter

from onestop.signing import client
from onestop.signing.pki import revoke_certificate
from onestop.signing.validation import Problem, validate_pdf
from tests.signing.conftest import fresh_code

AGENCY = "000.00.30.H99"


@pytest.fixture(scope="module")
def signed(signing_world, blank_pdf):
    """One B-LT and one B-LTA file (two credentials of one signer: one TOTP step each, no waiting)."""
    settings, files = signing_world.settings, {}
    for level, archival in (("b_lt", False), ("b_lta", True)):
        credential, totp = signing_world.enrol(name="Lê Văn Đức")
        files[level] = client.sign_pdf(
            blank_pdf, credential, fresh_code(totp), AGENCY, archival=archival, settings=settings
        )
    return files


def _changed_one_byte(pdf: bytes) -> bytes:
    """Flip one byte of the page tree, inside the range the first signature covers."""
    data = bytearray(pdf)
    where = data.find(b"/MediaBox")
    data[where + 3] = ord("x")
    return bytes(data)


@pytest.fixture(scope="module")
def nss_db(signing_world, tmp_path_factory):
    if not shutil.which("certutil") or not shutil.which("pdfsig"):
        pytest.skip("certutil (libnss3-tools) and pdfsig (poppler-utils) are needed: make system-deps")
    folder = tmp_path_factory.mktemp("nss")
    root = folder / "root.pem"
    root.write_bytes(signing_world.pki.root_certificate_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{folder}", "-n", "root", "-t", "CT,C,C", "-i", str(root)], check=True)
    return folder


def _pdfsig(nss_db, pdf: bytes, tmp_path) -> str:
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    # pdfsig exits 0 for valid, tampered and untrusted alike: read its words.
    return subprocess.run(["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)], capture_output=True, text=True).stdout


@pytest.mark.parametrize("level", ["b_lt", "b_lta"])
def test_a_signed_pdf_validates_in_pyhanko_against_the_demo_root(signed, signing_world, level):
    report = validate_pdf(signed[level], signing_world.settings.trust_roots)
    assert report.is_genuine, report
    assert report.intact and report.trusted and not report.changed_after_signing
    assert report.signer_name == "Lê Văn Đức"
    assert report.signer_organization == "Sở Tư pháp tỉnh Minh Sơn"
    assert report.timestamp is not None


def test_b_lt_embeds_validation_data_and_b_lta_adds_a_document_timestamp(signed):
    for level in ("b_lt", "b_lta"):
        reader = PdfFileReader(io.BytesIO(signed[level]))
        dss = reader.root["/DSS"]
        assert len(dss["/Certs"]) >= 3 and ("/OCSPs" in dss or "/CRLs" in dss)
    assert not PdfFileReader(io.BytesIO(signed["b_lt"])).embedded_timestamp_signatures
    assert PdfFileReader(io.BytesIO(signed["b_lta"])).embedded_timestamp_signatures


def test_pdfsig_trusts_the_signature_through_the_demo_root(signed, nss_db, tmp_path):
    words = _pdfsig(nss_db, signed["b_lt"], tmp_path)
    assert "Signature is Valid." in words
    assert "Certificate is Trusted." in words
    assert "ETSI.CAdES.detached" in words
    assert "Lê Văn Đức" in words


def test_one_changed_byte_fails_both_validators(signed, signing_world, nss_db, tmp_path):
    tampered = _changed_one_byte(signed["b_lt"])
    report = validate_pdf(tampered, signing_world.settings.trust_roots)
    assert not report.is_genuine and report.problem == Problem.CHANGED and not report.intact
    assert "Digest Mismatch." in _pdfsig(nss_db, tampered, tmp_path)


def test_a_root_other_than_the_province_s_is_not_trusted(signed):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name.from_rfc4514_string("CN=Someone else,C=VN")
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    report = validate_pdf(signed["b_lt"], client.load_certificates(cert.public_bytes(serialization.Encoding.PEM)))
    assert report.intact and not report.trusted and report.problem == Problem.UNTRUSTED


def test_bad_files_get_a_plain_answer(blank_pdf, signing_world):
    roots = signing_world.settings.trust_roots
    assert validate_pdf(b"PK\x03\x04 a zip file", roots).problem == Problem.NOT_PDF
    assert validate_pdf(b"", roots).problem == Problem.NOT_PDF
    assert validate_pdf(blank_pdf, roots).problem == Problem.NO_SIGNATURE
    assert validate_pdf(blank_pdf[: len(blank_pdf) // 3], roots).problem in (Problem.DAMAGED, Problem.NO_SIGNATURE)
    assert validate_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 50, roots).problem == Problem.DAMAGED
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank_pdf)))
    writer.encrypt("secret")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    assert validate_pdf(encrypted.getvalue(), roots).problem == Problem.ENCRYPTED


def test_a_non_pdf_cannot_be_signed(signing_world):
    credential, totp = signing_world.enrol()
    with pytest.raises(client.SigningFailed) as failure:
        client.sign_pdf(
            b"not a pdf", credential, fresh_code(totp), AGENCY, archival=False, settings=signing_world.settings
        )
    assert failure.value.code == "invalid_pdf"


def test_a_certificate_revoked_at_the_ca_is_refused_by_the_portal_too(signing_world, blank_pdf):
    """The CA's OCSP says revoked though the service was not told: pyHanko's hard-fail check stops it."""
    credential, totp = signing_world.enrol()
    assert revoke_certificate(signing_world.pki, f"signer-{credential}")
    with pytest.raises(client.SigningFailed) as failure:
        client.sign_pdf(
            blank_pdf, credential, fresh_code(totp), AGENCY, archival=False, settings=signing_world.settings
        )
    assert failure.value.code == "certificate_untrusted", failure.value.detail


def test_the_portal_cannot_sign_without_the_service(signing_world, blank_pdf):
    """The keys are only in the service: with it unreachable, signing fails (and may be retried)."""
    credential, totp = signing_world.enrol()
    elsewhere = client.SigningSettings(
        csc_url="http://127.0.0.1:9",  # nothing listens on the discard port
        client_id=signing_world.settings.client_id,
        client_secret=signing_world.settings.client_secret,
        tsa_url=signing_world.settings.tsa_url,
        trust_roots=signing_world.settings.trust_roots,
    )
    with pytest.raises(client.SigningUnavailable):
        client.sign_pdf(blank_pdf, credential, fresh_code(totp), AGENCY, archival=False, settings=elsewhere)


def test_a_tsa_that_does_not_answer_leaves_nothing_signed(signing_world, blank_pdf):
    credential, totp = signing_world.enrol()
    no_tsa = client.SigningSettings(
        csc_url=signing_world.settings.csc_url,
        client_id=signing_world.settings.client_id,
        client_secret=signing_world.settings.client_secret,
        tsa_url="http://127.0.0.1:9/tsa",
        trust_roots=signing_world.settings.trust_roots,
    )
    with pytest.raises(client.SigningUnavailable) as failure:
        client.sign_pdf(blank_pdf, credential, fresh_code(totp), AGENCY, archival=False, settings=no_tsa)
    assert failure.value.code in ("tsa_unavailable", "service_unavailable")


def test_a_kept_token_the_service_no_longer_accepts_is_replaced(signing_world, blank_pdf):
    """The portal keeps its bearer token between signatures; after the service stops accepting it (a restart
    with another key), the next call and the next signature ask for a new one instead of failing."""
    settings = signing_world.settings
    credential, totp = signing_world.enrol()
    client._TOKENS[client._token_key(settings)] = ("a-token-the-service-never-issued", float("inf"))
    info = client.call_service_sync(settings, "csc/v1/credentials/info", {"credentialID": credential})
    assert info["cert"]["status"] == "valid"
    client._TOKENS[client._token_key(settings)] = ("a-token-the-service-never-issued", float("inf"))
    pdf = client.sign_pdf(blank_pdf, credential, fresh_code(totp), AGENCY, archival=False, settings=settings)
    assert validate_pdf(pdf, settings.trust_roots).is_genuine
