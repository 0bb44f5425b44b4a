"""One request per kind of bad input that used to answer 500: each is refused with a 4xx and a message.

The fuzz test (test_every_route.py) found these; here each stands alone, so that a regression names
its cause.
"""

import re

import pytest

from onestop.payments import vnpay
from tests.conftest import csrf_token, login, submit
from tests.filing import APPLICANT, start
from tests.office.conftest import as_staff, file_lltp
from tests.paying import SECRET, TMN_CODE

TOO_LARGE = "99999999999999999999"  # more than any id column, and more than SQLite's 64 bits


@pytest.fixture
def citizen_client(app, demo, create_citizen):
    citizen = create_citizen()
    client = app.test_client()
    login(client, citizen.email)
    return client


# --- ids in the URL -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/applications/{TOO_LARGE}",
        "/applications/2147483648/review",
        f"/warehouse/{TOO_LARGE}/download",
        f"/applications/1/slips/{TOO_LARGE}.pdf",
    ],
)
def test_an_id_no_row_can_have_is_not_found(citizen_client, path):
    response = citizen_client.get(path)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_an_id_written_in_other_digits_is_not_found(app, demo, create_citizen):
    """int() reads Arabic-Indic "٣" as 3: the URL /applications/٣ must not open application 3."""
    _citizen, application_id, client = file_lltp(app, create_citizen, fee_category="exempt")
    arabic = str(application_id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get(f"/applications/{application_id}").status_code == 200
    assert client.get(f"/applications/{arabic}").status_code == 404


def test_staff_pages_refuse_ids_too_large(app, demo, create_staff):
    from onestop.accounts.models import Role

    admin = as_staff(app, create_staff(Role.PROVINCE_ADMIN, None))
    assert admin.get(f"/admin/staff/{TOO_LARGE}").status_code == 404
    clerk = as_staff(app, create_staff(Role.CLERK, "000.00.02.H99"))
    assert clerk.get(f"/office/applications/{TOO_LARGE}").status_code == 404
    assert clerk.get(f"/office/applications?after=2026-01-01T00:00:00|{TOO_LARGE}").status_code == 200


def test_a_date_too_early_for_the_tracking_book_is_refused_with_a_message(app, demo, create_staff):
    """A day the records cannot hold is refused by the tracking book's own parser, like any unreadable date."""
    from onestop.accounts.models import Role

    clerk = as_staff(app, create_staff(Role.CLERK, "000.00.02.H99"))
    response = clerk.get("/office/tracking-book.xlsx?from=0001-01-01&to=0001-01-02")
    assert response.status_code == 400
    assert "Không đọc được một phần của địa chỉ hoặc biểu mẫu" in response.get_data(as_text=True)
    response = clerk.get("/office/tracking-book.xlsx?from=2026-01-01&to=2026-13-01")
    assert response.status_code == 400
    assert "Không đọc được một phần của địa chỉ hoặc biểu mẫu" in response.get_data(as_text=True)


def test_a_draft_withdrawn_before_sending_has_no_control_slip(app, demo, create_citizen, create_staff):
    from onestop.accounts.models import Role

    citizen = create_citizen()
    client = app.test_client()
    login(client, citizen.email)
    application_id = int(re.search(r"/applications/(\d+)/", start(client))[1])
    assert submit(client, f"/applications/{application_id}/withdraw", {"reason": "Nộp nhầm"}).status_code == 302
    clerk = as_staff(app, create_staff(Role.CLERK, "000.00.02.H99"))
    # It never reached the agency: neither its file nor a process-control slip exists for the clerk.
    assert clerk.get(f"/office/applications/{application_id}/control.pdf").status_code == 404
    assert clerk.get(f"/office/applications/{application_id}").status_code == 404


def test_a_blank_agency_of_spaces_is_no_agency(app, demo, create_staff):
    from onestop.accounts.models import Role

    admin = as_staff(app, create_staff(Role.PROVINCE_ADMIN, None))
    leader = create_staff(Role.LEADER, "000.00.02.H99")
    data = {"role": "leader", "agency": " ", "is_active": "y"}
    response = submit(admin, f"/admin/staff/{leader.id}", data)
    assert response.status_code in (302, 422)


# --- numbers and dates in query strings and forms ----------------------------------------------------------


@pytest.mark.parametrize("query", ["page=²", "sector=¹²³", "agency=٣", f"page={TOO_LARGE}", "agency=2147483648"])
def test_the_catalogue_ignores_a_number_it_cannot_read(client, demo, query):
    response = client.get(f"/procedures?{query}")
    assert response.status_code == 200
    assert "Đăng ký khai sinh" in response.get_data(as_text=True)


@pytest.mark.parametrize("year", [TOO_LARGE, "²⁰²⁰", "١٩٩٠", "19900"])
def test_a_year_that_is_not_four_digits_is_asked_again_with_everything_kept(citizen_client, year):
    url = start(citizen_client)
    response = submit(
        citizen_client, url, {"action": "continue", **APPLICANT, "birth_date-year": year}, page=url.split("?")[0]
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nhập một ngày có thật" in page
    assert APPLICANT["address-street"] in page and f'value="{year}"' in page


@pytest.mark.parametrize("button", ["remove:", "remove:other_names", "remove:nosuchgroup:0", "add:", "add:x:y"])
def test_a_button_value_the_page_does_not_show_keeps_everything_typed(citizen_client, button):
    url = start(citizen_client)
    response = submit(citizen_client, url, {**APPLICANT, "action": button}, page=url.split("?")[0])
    assert response.status_code in (200, 400)  # the same page again, nothing changed
    assert APPLICANT["address-street"] in response.get_data(as_text=True)


def test_a_document_to_reuse_written_in_superscripts_is_asked_again(citizen_client):
    url = start(citizen_client)
    documents = url.rsplit("/steps/", 1)[0] + "/documents"
    response = submit(citizen_client, documents, {"action": "reuse", "type": "the-can-cuoc", "document": "²"})
    assert response.status_code == 422
    assert "Hãy chọn giấy tờ để dùng lại" in response.get_data(as_text=True)


# --- NUL characters (PostgreSQL cannot store them) -------------------------------------------------------


def test_a_nul_character_in_a_form_is_dropped_and_the_rest_kept(app, demo, create_citizen):
    from onestop.extensions import db
    from onestop.procedures.models import ApplicationMessage

    _citizen, application_id, client = file_lltp(app, create_citizen, fee_category="exempt")
    timeline = f"/applications/{application_id}"
    response = submit(client, f"{timeline}/messages", {"body": "Xin chào\x00 cán bộ"}, page=timeline)
    assert response.status_code == 302
    assert [m.body for m in db.session.scalars(db.select(ApplicationMessage))] == ["Xin chào cán bộ"]


def test_a_nul_character_in_an_address_is_not_found(client, demo):
    assert client.get("/procedures/cap-phieu%00ly-lich").status_code == 404
    assert client.get("/lang/e%00n").status_code == 404


# --- redirect targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/%0d%0aSet-Cookie:%20stolen=1", "/ok%0a", "/%5Cevil.example", "//evil.example", "https://evil.example"]
)
def test_a_next_address_off_this_site_or_with_line_breaks_goes_home(client, demo, create_citizen, target):
    response = client.get(f"/lang/en?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    citizen = create_citizen()
    page = client.get("/account/login")
    response = client.post(
        f"/account/login?next={target}",
        data={"login": citizen.email, "password": "correct horse 42", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


def test_a_next_address_on_this_site_is_kept(client, demo):
    response = client.get("/lang/en?next=/procedures%3Fq%3Dkhai%20sinh")
    assert response.headers["Location"] == "/procedures?q=khai%20sinh"


# --- secrets and signatures --------------------------------------------------------------------------------


def test_a_status_lookup_with_digits_of_another_script_is_asked_again(app, demo, create_citizen):
    from onestop.extensions import db
    from onestop.procedures.models import Application

    _citizen, application_id, _client = file_lltp(app, create_citizen, fee_category="exempt")
    code = db.session.get(Application, application_id).code
    client = app.test_client()
    for secret in ("١٢٣٤٥٦٧٨٩٠١٢", "²"):
        response = submit(client, "/status", {"code": code, "secret": secret})
        assert response.status_code == 422
        assert "Nhập số định danh cá nhân gồm 12 chữ số hoặc mã PIN tra cứu" in response.get_data(as_text=True)


@pytest.fixture
def merchant(app, monkeypatch):
    monkeypatch.setitem(app.config, "VNPAY_TMN_CODE", TMN_CODE)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)


def test_a_payment_return_with_a_non_ascii_signature_is_refused(citizen_client, merchant):
    response = citizen_client.get("/payments/vnpay/return?vnp_TxnRef=1&vnp_SecureHash=%C3%94%C2%B2")
    assert response.status_code == 400
    answer = citizen_client.get("/payments/vnpay/ipn?vnp_TxnRef=1&vnp_SecureHash=%C2%B2").get_json()
    assert answer["RspCode"] == "97"


def test_a_signed_payment_return_with_superscript_amount_is_refused(citizen_client, merchant):
    query = vnpay.signed_query(
        {"vnp_Amount": "²⁰⁰", "vnp_TmnCode": TMN_CODE, "vnp_TxnRef": "1", "vnp_ResponseCode": "00"}, SECRET
    )
    assert citizen_client.get(f"/payments/vnpay/return?{query}").status_code == 400
