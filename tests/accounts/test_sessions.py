"""Ending a session ends it everywhere its cookie went: sign-out, password change and reset, sign out everywhere."""

from tests.conftest import PASSWORD, link_in, login, outbox, submit

NEW_PASSWORD = "moi-mat-khau-9"


def signed_in(app, login_name: str):
    client = app.test_client()
    assert login(client, login_name).status_code == 302
    return client


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """What someone who copied the session cookie sees when opening the account page with it."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/account/")


def test_a_cookie_copied_before_sign_out_no_longer_works(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    browser = signed_in(app, "an@example.com")
    copied = cookie_of(browser)
    assert replay(app, copied).status_code == 200
    submit(browser, "/account/logout", {}, page="/account/")
    response = replay(app, copied)
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")


def test_signing_out_one_browser_leaves_the_others_signed_in(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    phone, laptop = signed_in(app, "an@example.com"), signed_in(app, "an@example.com")
    submit(phone, "/account/logout", {}, page="/account/")
    assert laptop.get("/account/").status_code == 200


def test_password_reset_ends_every_session(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    browser = signed_in(app, "an@example.com")
    copied = cookie_of(browser)
    other = app.test_client()
    submit(other, "/account/forgot", {"email": "an@example.com"})
    link = link_in(outbox("email")[-1].body).replace("http://localhost", "")
    assert submit(other, link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 302
    assert browser.get("/account/").status_code == 302
    assert replay(app, copied).status_code == 302


def test_password_change_ends_other_sessions_and_the_old_cookie_but_keeps_this_browser(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    laptop, phone = signed_in(app, "an@example.com"), signed_in(app, "an@example.com")
    copied = cookie_of(laptop)
    response = submit(
        laptop,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert laptop.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302
    assert replay(app, copied).status_code == 302
    assert login(app.test_client(), "an@example.com", NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password_and_keeps_what_was_typed(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    browser = signed_in(app, "an@example.com")
    response = submit(
        browser,
        "/account/password",
        {"current_password": "wrong-one-1", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 422 and 'href="#current_password"' in response.get_data(as_text=True)
    assert browser.get("/account/").status_code == 200
    assert login(app.test_client(), "an@example.com", PASSWORD).status_code == 302


def test_sign_out_everywhere_from_the_profile(app, demo, create_citizen):
    create_citizen(email="an@example.com")
    laptop, phone = signed_in(app, "an@example.com"), signed_in(app, "an@example.com")
    page = laptop.get("/account/").get_data(as_text=True)
    assert "/account/sign-out-everywhere" in page
    response = submit(laptop, "/account/sign-out-everywhere", {}, page="/account/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 302


def test_only_the_newest_reset_link_works(client, demo, create_citizen):
    create_citizen(email="an@example.com")
    submit(client, "/account/forgot", {"email": "an@example.com"})
    submit(client, "/account/forgot", {"email": "an@example.com"})
    first, second = (link_in(mail.body).replace("http://localhost", "") for mail in outbox("email")[-2:])
    new = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert client.get(first).status_code == 400
    assert submit(client, first, new, page=second).status_code == 400
    assert submit(client, second, new).status_code == 302
    assert client.get(second).status_code == 400


def test_a_session_ends_a_set_time_after_sign_in_however_active(app, demo, create_citizen, monkeypatch):
    create_citizen(email="an@example.com")
    browser = signed_in(app, "an@example.com")
    assert browser.get("/account/").status_code == 200
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_LIFETIME", -1)
    assert browser.get("/account/").status_code == 302
