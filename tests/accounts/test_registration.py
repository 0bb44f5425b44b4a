"""Citizens register, confirm a way to reach them, sign in and out, and reset a forgotten password."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from onestop.accounts.models import User
from onestop.extensions import db
from tests.conftest import PASSWORD, link_in, login, outbox, submit

VALID = {
    "full_name": "Nguyễn Thị Mai",
    "citizen_id": "001190012345",
    "email": "mai@example.com",
    "phone": "",
    "password": "matkhau2026",
    "password_again": "matkhau2026",
    "consent": "y",
}


def register(client, **changes):
    return submit(client, "/account/register", {**VALID, **changes})


def users() -> int:
    """Citizen accounts (the demo pack brings staff accounts of its own)."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "citizen"))


def citizen(**where) -> User:
    return db.session.scalar(select(User).filter_by(role="citizen", **where))


def test_register_confirm_email_then_sign_in(client, demo):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/check-email"
    assert "mai@example.com" in client.get("/account/check-email").get_data(as_text=True)

    [mail] = outbox("email")
    assert mail.recipient == "mai@example.com" and mail.sent_at is not None
    # Before confirming, the password is right but the account cannot be used.
    blocked = login(client, "mai@example.com", "matkhau2026")
    assert blocked.status_code == 403

    confirmed = client.get(link_in(mail.body).replace("http://localhost", ""))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/account/login"
    signed_in = login(client, "001190012345", "matkhau2026")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account/"
    page = client.get("/account/").get_data(as_text=True)
    assert "Nguyễn Thị Mai" in page and "001190012345" in page
    user = citizen(email="mai@example.com")
    assert user.privacy_consent_at is not None


def test_register_with_phone_only_confirms_by_sms_code(client, demo):
    response = register(client, email="", phone="+84 912 345 678")
    assert response.headers["Location"] == "/account/confirm-phone"
    [sms] = outbox("sms")
    assert sms.recipient == "0912345678"
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)

    wrong = submit(client, "/account/confirm-phone", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422
    right = submit(client, "/account/confirm-phone", {"code": code})
    assert right.status_code == 302
    assert login(client, "0912 345 678", "matkhau2026").status_code == 302


def test_expired_sms_code_is_refused(client, demo):
    register(client, email="", phone="0912345678")
    code = re.search(r"\b(\d{6})\b", outbox("sms")[0].body).group(1)
    user = citizen(phone="0912345678")
    user.phone_code_sent_at -= timedelta(minutes=11)
    db.session.commit()
    response = submit(client, "/account/confirm-phone", {"code": code})
    assert response.status_code == 422
    assert citizen().phone_confirmed_at is None


def test_invalid_registration_keeps_what_was_typed_and_explains_each_field(client, demo):
    response = register(client, citizen_id="12345", password="short", password_again="other", consent="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    for field in ("citizen_id", "password", "password_again", "consent"):
        assert f'href="#{field}"' in html, field
        assert f'id="{field}"' in html
    # What the citizen typed is still there (except passwords, which browsers expect blank).
    assert 'value="Nguyễn Thị Mai"' in html and 'value="12345"' in html and 'value="mai@example.com"' in html
    assert 'aria-invalid="true"' in html
    assert users() == 0


def test_citizen_id_must_be_a_possible_number(client, demo):
    for number in ("0011900123", "999190012345", "001390012345"):  # too short, no such province, born in 2090
        assert register(client, citizen_id=number).status_code == 422, number
    assert users() == 0


def test_an_e_mail_or_a_phone_is_needed(client, demo):
    response = register(client, email="", phone="")
    assert response.status_code == 422
    assert 'href="#phone"' in response.get_data(as_text=True)


def _page(client, response) -> str:
    """The page a registration leads to, with what was typed and the CSRF token taken out."""
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    html = re.sub(r'value="[^"]+"', "", html)
    return html.replace(VALID["email"], "X").replace("new@example.com", "X")


def test_registration_does_not_reveal_an_existing_id_number_or_e_mail_and_tells_the_owner(app, demo, create_citizen):
    owner = create_citizen(citizen_id="001190012345", email="other@example.com")
    fresh = app.test_client()
    created = submit(fresh, "/account/register", {**VALID, "citizen_id": "001190054321"})
    taken_id = app.test_client()
    same_id = submit(taken_id, "/account/register", {**VALID, "email": "new@example.com"})
    taken_email = app.test_client()
    same_email = submit(
        taken_email, "/account/register", {**VALID, "citizen_id": "001190099999", "email": "OTHER@example.com"}
    )
    assert created.status_code == same_id.status_code == same_email.status_code == 302
    assert created.headers["Location"] == same_id.headers["Location"] == same_email.headers["Location"]
    assert _page(fresh, created) == _page(taken_id, same_id)
    assert users() == 2  # the owner and the one new account
    notices = [mail for mail in outbox("email") if mail.recipient == owner.email]
    assert len(notices) == 2 and "/account/login" in notices[0].body
    assert not [mail for mail in outbox("email") if mail.recipient == "new@example.com"]


def test_registration_with_a_phone_that_has_an_account_answers_as_for_a_new_one(client, demo, create_citizen):
    owner = create_citizen(email="", phone="0912345678")
    response = register(client, email="", phone="0912 345 678", citizen_id="001190054321")
    assert response.status_code == 302 and response.headers["Location"] == "/account/confirm-phone"
    assert "0912345678" in client.get("/account/confirm-phone").get_data(as_text=True)
    assert submit(client, "/account/confirm-phone", {"code": "123456"}).status_code == 422
    [notice] = outbox("sms")
    assert notice.recipient == owner.phone and notice.user_id == owner.id
    assert users() == 1


def test_wrong_password_gives_one_message_for_every_case(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    unknown = login(client, "nobody@example.com", "whatever1")
    wrong = login(client, "an@example.com", "whatever1")
    assert unknown.status_code == wrong.status_code == 422
    assert 'value="an@example.com"' in wrong.get_data(as_text=True)

    def message(response):
        return re.search(r'class="error-message"[^>]*>.*?</span>(.*?)</p>', response.get_data(as_text=True), re.S)[1]

    assert message(unknown) == message(wrong)


def test_sign_in_is_rate_limited(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    statuses = [login(client, "an@example.com", "wrong-pass1").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    # Even the right password waits now.
    assert login(client, "an@example.com", PASSWORD).status_code == 429


def test_sign_out(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    login(client, "an@example.com")
    assert client.get("/account/").status_code == 200
    response = submit(client, "/account/logout", {}, page="/account/")
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    credentials = {"login": "an@example.com", "password": PASSWORD}
    response = submit(client, "/account/login?next=/procedures", credentials)
    assert response.headers["Location"] == "/procedures"
    submit(client, "/account/logout", {}, page="/account/")
    response = submit(client, "/account/login?next=https://evil.example/", credentials)
    assert response.headers["Location"] == "/account/"


def test_forms_refuse_a_post_without_csrf_token(client, demo):
    response = client.post("/account/register", data=VALID)
    assert response.status_code == 400
    assert users() == 0


def test_password_reset_by_time_limited_single_use_link(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    response = submit(client, "/account/forgot", {"email": "an@example.com"})
    assert response.status_code == 200
    link = link_in(outbox("email")[-1].body).replace("http://localhost", "")
    assert client.get(link).status_code == 200
    response = submit(client, link, {"password": "moi-mat-khau-9", "password_again": "moi-mat-khau-9"})
    assert response.status_code == 302
    assert login(client, "an@example.com", "moi-mat-khau-9").status_code == 302
    # The same link cannot be used twice.
    assert client.get(link).status_code == 400


def test_password_reset_link_expires(app, client, demo, create_citizen, monkeypatch):
    create_citizen(email="an@example.com")
    submit(client, "/account/forgot", {"email": "an@example.com"})
    link = link_in(outbox("email")[-1].body).replace("http://localhost", "")
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    assert client.get(link).status_code == 400


def test_forgot_password_does_not_reveal_whether_an_account_exists(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    known = submit(client, "/account/forgot", {"email": "an@example.com"})
    unknown = submit(client, "/account/forgot", {"email": "nobody@example.com"})
    strip = lambda r: r.get_data(as_text=True).replace("an@example.com", "X").replace("nobody@example.com", "X")  # noqa: E731
    assert re.sub(r'value="[^"]+"', "", strip(known)) == re.sub(r'value="[^"]+"', "", strip(unknown))
    assert len(outbox("email")) == 1


def test_confirmation_link_tampered_is_refused(client, demo):
    register(client)
    link = link_in(outbox("email")[0].body).replace("http://localhost", "")
    assert client.get(link[:-3] + "abc").status_code == 400
    assert citizen().email_confirmed_at is None
