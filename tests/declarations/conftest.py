"""A citizen with a draft criminal-record application, the real signing service and demo PKI on loopback."""

import re
import secrets
from dataclasses import dataclass

import pyotp
import pytest

from onestop.declarations.models import DECLARATION_TYPE
from onestop.extensions import db
from onestop.procedures.models import Application
from tests.conftest import PASSWORD, login, submit
from tests.filing import fill_all_steps, pdf_bytes, upload
from tests.results.conftest import portal_signing  # noqa: F401  (fixture)
from tests.signing.conftest import blank_pdf, fresh_code, signing_world  # noqa: F401  (fixtures)

AUTHORISATION = "giay-uy-quyen"


@dataclass
class Draft:
    user: object
    client: object
    application_id: int

    def url(self, key: str = "declaration") -> str:
        return f"/applications/{self.application_id}/sign/{key}"

    def application(self) -> Application:
        db.session.expire_all()
        return db.session.get(Application, self.application_id)

    def link(self, type_code: str):
        return next(link for link in self.application().documents if link.document_type_code == type_code)

    def has_declaration(self) -> bool:
        return any(link.document_type_code == DECLARATION_TYPE for link in self.application().documents)


def new_citizen(app, create_citizen, name: str, email: str):
    """A citizen with a random high id: the signing service outlives each test's tables, and a citizen's
    credentials are keyed by `citizen:<id>`, so an id reused from an earlier test must not find its credentials."""
    return create_citizen(id=10**6 + secrets.randbelow(10**9), full_name=name, email=email)


@pytest.fixture
def draft(app, demo, create_citizen, portal_signing) -> Draft:  # noqa: F811
    """Nguyễn Thị Mai's draft with every answer given, her ID card and a letter of authorisation attached."""
    user = new_citizen(app, create_citizen, "Nguyễn Thị Mai", f"mai-{secrets.token_hex(3)}@example.com")
    client = app.test_client()
    login(client, user.email)
    application_id = fill_all_steps(client, fee_category="exempt")
    assert upload(client, application_id, "the-can-cuoc", pdf_bytes()).status_code == 302
    assert upload(client, application_id, AUTHORISATION, authorisation_pdf(), "uy-quyen.pdf").status_code == 302
    return Draft(user, client, application_id)


def authorisation_pdf() -> bytes:
    """Another blank page, with different bytes than the ID card's scan (the warehouse stores by digest)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Giấy ủy quyền"})
    import io

    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def enrol(client, password: str = PASSWORD, action: str = "setup") -> pyotp.TOTP:
    """Set up the digital signature through the account page; the key is read off the page shown once."""
    response = submit(client, "/account/signature", {"action": action, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'<code class="digest">([A-Z2-7]+)</code>', page)[1]
    return pyotp.TOTP(secret)


def shown_sha256(page: str) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', page)[1]


def sign(client, url: str, code: str):
    """Open the signing page, then sign what it shows with `code`; returns the answer to the post."""
    page = client.get(url).get_data(as_text=True)
    return submit(client, url, {"otp": code, "sha256": shown_sha256(page)}, page=url)


__all__ = ["fresh_code"]
