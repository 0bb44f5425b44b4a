"""Closing an account whose application ended with a signed result: the result's file stays for verifiers."""

from sqlalchemy import select

from onestop.extensions import db
from onestop.results.models import SignedDocument, SignedKind
from tests.conftest import submit
from tests.results.conftest import (  # noqa: F401  (fixtures)
    awaiting,
    enrol_staff,
    fresh_code,
    portal_signing,
    sign_form,
    signing_config,
    staff,
)


def test_a_citizen_with_a_signed_result_can_close_their_account_and_the_result_still_verifies(
    app,
    awaiting,  # noqa: F811
    staff,  # noqa: F811
    signing_config,  # noqa: F811
):
    citizen, application_id, clients = awaiting
    totp = enrol_staff(signing_config, staff["leader"])
    url = f"/office/applications/{application_id}/result/sign"
    page = clients["leader"].get(url).get_data(as_text=True)
    assert clients["leader"].post(url, data=sign_form(page) | {"otp": fresh_code(totp)}).status_code == 302
    signed = db.session.scalar(select(SignedDocument).where(SignedDocument.kind == SignedKind.RESULT))
    assert signed.state == "signed"

    response = submit(citizen, "/account/close", {"password": "correct horse 42"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/closed"
    verdict = app.test_client().get(f"/v/{signed.verification_code}").get_data(as_text=True)
    assert "Văn bản thật" in verdict or "Genuine" in verdict
