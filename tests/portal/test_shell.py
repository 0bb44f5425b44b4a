"""The shell every page shares: health check, language switch, security headers, accessibility basics."""

from sqlalchemy import create_engine

from onestop.extensions import db


def test_health_check_reports_database_ok(client, demo):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_check_answers_503_when_the_database_is_down(app, client, monkeypatch):
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    monkeypatch.setitem(db._app_engines[app], None, broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_every_page_carries_security_headers(client, demo):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client, demo):
    for url in ["/", "/procedures", "/procedures/dang-ky-khai-sinh", "/account/register", "/account/login", "/status"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "<script " not in html.replace('<script src="', "")
        assert "style=" not in html and "<style" not in html, url


def test_home_is_vietnamese_by_default_with_a_language_switch(client, demo):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Cổng dịch vụ công" in html
    assert 'href="/lang/en?next=/"' in html


def test_switching_to_english_sticks_and_returns_to_the_page(client, demo):
    response = client.get("/lang/en?next=/procedures")
    assert response.status_code == 302 and response.headers["Location"] == "/procedures"
    html = client.get("/procedures").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Search procedures" in html
    # Procedure names written in English in the pack are shown in English.
    assert "Birth registration" in html


def test_language_switch_refuses_to_redirect_elsewhere(client, demo):
    response = client.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_pages_have_landmarks_and_a_skip_link(client, demo):
    html = client.get("/").get_data(as_text=True)
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html and "<nav" in html


def test_unknown_page_is_a_friendly_404(client, demo):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_branding_comes_from_the_pack(client, demo):
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--primary: #0b4f8a" in css
    logo = client.get("/branding/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"
    assert client.get("/branding/logo", headers={"If-None-Match": logo.headers["ETag"]}).status_code == 304
