"""The signing service over real HTTP: who may call it, which codes it takes, what a SAD allows."""

import base64
import hashlib
import json
import time

import pytest
from sqlalchemy import create_engine, select

from onestop.signing import client
from onestop.signing.authority import TOTP_INTERVAL
from onestop.signing.storage import KeyUnavailable, KeyWrapper, credentials, new_kek
from tests.signing.conftest import SENT_CODE_LIFETIME, fresh_code

AGENCY = "000.00.30.H99"
OTHER_AGENCY = "000.00.31.H99"
SHA256 = "2.16.840.1.101.3.4.2.1"
SHA256_RSA = "1.2.840.113549.1.1.11"


def _hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _authorize(world, credential, code, hashes, agency=AGENCY, number=1):
    body = {
        "credentialID": credential,
        "numSignatures": number,
        "hash": hashes,
        "OTP": code,
        "clientData": json.dumps({"agency": agency}),
    }
    return world.post("csc/v1/credentials/authorize", body)


def _sign_hash(world, credential, sad, hashes, agency=AGENCY):
    body = {
        "credentialID": credential,
        "SAD": sad,
        "hash": hashes,
        "hashAlgo": SHA256,
        "signAlgo": SHA256_RSA,
        "clientData": json.dumps({"agency": agency}),
    }
    return world.post("csc/v1/signatures/signHash", body)


def test_only_the_portal_with_its_secret_gets_in(signing_world):
    assert signing_world.post("csc/v1/credentials/list", {"userID": "staff:x"}, token=None).status_code == 401
    assert (
        signing_world.post("csc/v1/credentials/list", {"userID": "staff:x"}, token="forged").json()["error"]
        == "invalid_token"
    )
    import requests

    wrong = {"grant_type": "client_credentials", "client_id": "onestop-portal", "client_secret": "guess"}
    assert requests.post(signing_world.service_url + "/oauth2/token", data=wrong, timeout=5).status_code == 401
    info = requests.get(signing_world.service_url + "/csc/v1/info", timeout=5).json()
    assert "signatures/signHash" in info["methods"]


def test_credential_info_gives_the_certificate_chain_and_scal2(signing_world):
    credential, _ = signing_world.enrol(name="Trần Thị Bình")
    assert (
        credential
        in signing_world.post("csc/v1/credentials/list", {"userID": "staff:Trần Thị Bình"}).json()["credentialIDs"]
    )
    info = signing_world.post("csc/v1/credentials/info", {"credentialID": credential}).json()
    assert info["SCAL"] == "2" and info["cert"]["status"] == "valid"
    assert len(info["cert"]["certificates"]) == 3  # signer, issuing CA, root
    assert "Trần Thị Bình" in info["cert"]["subjectDN"]


def test_a_sad_signs_exactly_one_time_exactly_the_hash_it_was_issued_for(signing_world):
    credential, totp = signing_world.enrol()
    document = _hash("the decision")
    answer = _authorize(signing_world, credential, fresh_code(totp), [document])
    assert answer.status_code == 200, answer.text
    sad = answer.json()["SAD"]

    other = _sign_hash(signing_world, credential, sad, [_hash("another decision")])
    assert other.status_code == 400 and other.json()["error"] == "hash_not_authorized"
    signed = _sign_hash(signing_world, credential, sad, [document])
    assert signed.status_code == 200 and len(signed.json()["signatures"]) == 1
    again = _sign_hash(signing_world, credential, sad, [document])
    assert again.json()["error"] == "invalid_sad"


def test_one_authorisation_covers_one_signature(signing_world):
    credential, totp = signing_world.enrol()
    answer = _authorize(signing_world, credential, fresh_code(totp), [_hash("a"), _hash("b")], number=2)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_wrong_reused_and_expired_codes_are_refused(signing_world):
    credential, totp = signing_world.enrol()
    right = fresh_code(totp)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert _authorize(signing_world, credential, wrong, [_hash("x")]).json()["error"] == "invalid_otp"
    assert _authorize(signing_world, credential, "abc", [_hash("x")]).json()["error"] == "invalid_otp"
    assert _authorize(signing_world, credential, right, [_hash("x")]).status_code == 200
    assert _authorize(signing_world, credential, right, [_hash("x")]).json()["error"] == "otp_reused"
    old = totp.at(time.time() - 5 * TOTP_INTERVAL)
    assert _authorize(signing_world, credential, old, [_hash("x")]).json()["error"] == "otp_expired"


def test_codes_sent_out_of_band_are_single_use_and_expire(signing_world):
    credential, totp = signing_world.enrol(otp="oob")
    assert totp is None
    ask = {"credentialID": credential, "clientData": json.dumps({"agency": AGENCY})}
    sent = signing_world.post("csc/v1/credentials/sendOTP", ask).json()
    assert sent["expiresIn"] == SENT_CODE_LIFETIME and len(sent["otp"]) == 6
    assert _authorize(signing_world, credential, sent["otp"], [_hash("x")]).status_code == 200
    assert _authorize(signing_world, credential, sent["otp"], [_hash("x")]).json()["error"] == "otp_reused"

    late = signing_world.post("csc/v1/credentials/sendOTP", ask).json()
    time.sleep(SENT_CODE_LIFETIME + 0.5)
    assert _authorize(signing_world, credential, late["otp"], [_hash("x")]).json()["error"] == "otp_expired"


def test_wrong_codes_are_rate_limited_per_credential(signing_world):
    credential, totp = signing_world.enrol()
    for _ in range(5):
        assert _authorize(signing_world, credential, "000000", [_hash("x")]).json()["error"] in (
            "invalid_otp",
            "otp_expired",
        )
    refused = _authorize(signing_world, credential, fresh_code(totp), [_hash("x")])
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_attempts"
    # Another signer is not held back.
    other, other_totp = signing_world.enrol()
    assert _authorize(signing_world, other, fresh_code(other_totp), [_hash("x")]).status_code == 200


def test_a_credential_signs_only_for_its_own_agency(signing_world, blank_pdf):
    credential, totp = signing_world.enrol(agency=AGENCY)
    code = fresh_code(totp)  # a refused request does not spend the code
    refused = _authorize(signing_world, credential, code, [_hash("x")], agency=OTHER_AGENCY)
    assert refused.status_code == 403 and refused.json()["error"] == "wrong_agency"
    with pytest.raises(client.SigningFailed) as failure:
        client.sign_pdf(blank_pdf, credential, code, OTHER_AGENCY, archival=False, settings=signing_world.settings)
    assert failure.value.code == "wrong_agency"


def test_a_sad_cannot_be_spent_for_another_agency(signing_world):
    credential, totp = signing_world.enrol(agency=AGENCY)
    sad = _authorize(signing_world, credential, fresh_code(totp), [_hash("x")]).json()["SAD"]
    assert (
        _sign_hash(signing_world, credential, sad, [_hash("x")], agency=OTHER_AGENCY).json()["error"] == "wrong_agency"
    )


def test_a_revoked_certificate_is_refused(signing_world, blank_pdf):
    credential, totp = signing_world.enrol()
    assert signing_world.post("admin/v1/credentials/revoke", {"credentialID": credential}).status_code == 200
    code = fresh_code(totp)
    refused = _authorize(signing_world, credential, code, [_hash("x")])
    assert refused.json()["error"] == "certificate_revoked"
    with pytest.raises(client.SigningFailed) as failure:
        client.sign_pdf(blank_pdf, credential, code, AGENCY, archival=False, settings=signing_world.settings)
    assert failure.value.code == "certificate_revoked"


def test_an_expired_certificate_is_refused(signing_world, blank_pdf):
    credential, totp = signing_world.enrol(valid_days=0)
    code = fresh_code(totp)
    refused = _authorize(signing_world, credential, code, [_hash("x")])
    assert refused.json()["error"] == "certificate_expired"
    with pytest.raises(client.SigningFailed) as failure:
        client.sign_pdf(blank_pdf, credential, code, AGENCY, archival=False, settings=signing_world.settings)
    assert failure.value.code == "certificate_expired"


def test_keys_at_rest_are_unreadable_without_the_kek(signing_world):
    from cryptography.hazmat.primitives import serialization

    credential, _ = signing_world.enrol()
    engine = create_engine(signing_world.database_url)
    with engine.connect() as conn:
        row = conn.execute(select(credentials).where(credentials.c.id == credential)).one()
    engine.dispose()
    assert b"PRIVATE KEY" not in row.sealed_key
    with pytest.raises(ValueError):
        serialization.load_der_private_key(row.sealed_key, password=None)
    with pytest.raises(KeyUnavailable):
        KeyWrapper(new_kek()).open(row.sealed_key, credential)
    with pytest.raises(KeyUnavailable):  # a sealed key copied to another row does not open either
        KeyWrapper(signing_world.kek).open(row.sealed_key, "another-credential")
    key = serialization.load_der_private_key(KeyWrapper(signing_world.kek).open(row.sealed_key, credential), None)
    from cryptography import x509

    assert (
        x509.load_der_x509_certificate(row.certificate).public_key().public_numbers()
        == key.public_key().public_numbers()
    )


def test_the_service_refuses_to_start_without_a_usable_kek():
    from onestop.signing.service import create_signing_app

    for kek in ("", "not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(KeyUnavailable):
            create_signing_app({"SIGNING_KEK": kek, "SIGNING_CLIENT_SECRET": "x", "SIGNING_DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("csc/v1/credentials/list", {}),
        ("csc/v1/credentials/info", {"credentialID": 12}),
        ("csc/v1/credentials/info", {"credentialID": "no-such-credential"}),
        ("csc/v1/credentials/authorize", {"credentialID": "x", "numSignatures": "1", "hash": [], "OTP": "1"}),
        ("csc/v1/credentials/authorize", {"credentialID": "x", "numSignatures": 1, "hash": "abc", "OTP": "1"}),
        ("csc/v1/credentials/sendOTP", {"credentialID": "x", "clientData": "{not json"}),
        (
            "csc/v1/signatures/signHash",
            {"credentialID": "x", "SAD": "y", "hash": [1], "hashAlgo": "a", "signAlgo": "b"},
        ),
        ("admin/v1/credentials", {"userID": "staff:x", "otp": "carrier pigeon"}),
        ("admin/v1/credentials/csr", {"credentialID": "x", "subject": "not a name"}),
        ("admin/v1/credentials/certificate", {"credentialID": "x", "certificate": "%%%"}),
    ],
)
def test_malformed_requests_get_a_clear_error_never_a_500(signing_world, method, body):
    answer = signing_world.post(method, body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"] in ("invalid_request", "invalid_credential")


def test_a_hash_signed_by_the_service_verifies_with_the_certificate(signing_world):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    credential, totp = signing_world.enrol()
    digest = hashlib.sha256(b"to be signed").digest()
    document = base64.b64encode(digest).decode()
    sad = _authorize(signing_world, credential, fresh_code(totp), [document]).json()["SAD"]
    signature = base64.b64decode(_sign_hash(signing_world, credential, sad, [document]).json()["signatures"][0])
    info = signing_world.post("csc/v1/credentials/info", {"credentialID": credential}).json()
    cert = x509.load_der_x509_certificate(base64.b64decode(info["cert"]["certificates"][0]))
    cert.public_key().verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
