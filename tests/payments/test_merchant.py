"""The merchant side through HTTP: the fee shown before paying, the IPN's every answer, the return page,
races and duplicates, refunds, the receipt and the reconciliation.

Notifications in the IPN tests are signed here exactly as the gateway signs them (onestop.payments.vnpay
is checked against hand-computed vectors in test_vnpay_protocol.py); the tests of races, refunds and
reconciliation run the real mock gateway on a loopback port.
"""

import io
import json
import re
import sqlite3
import threading
import urllib.request

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from onestop import localtime
from onestop.accounts.models import Role
from onestop.datastore.backends.base import storage_from_config
from onestop.datastore.models import Document, Provenance
from onestop.extensions import db
from onestop.payments import services
from onestop.payments.models import (
    AttemptState,
    IpnCall,
    LedgerEntry,
    OrderState,
    PaymentAttempt,
    PaymentOrder,
    PaymentReceipt,
    ReconciliationRun,
    Refund,
    RefundState,
)
from onestop.procedures.models import Application, ApplicationState
from tests.conftest import login, outbox, submit
from tests.filing import answer, fill_all_steps, start
from tests.paying import (
    SECRET,
    file_criminal_record,
    gateway_result,
    signed,
    start_paying,
)


def ipn(client, query: str) -> dict:
    response = client.get(f"/payments/vnpay/ipn?{query}")
    assert response.status_code == 200
    return response.get_json()


def credits() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "payment"))


def order_for(application_id: int) -> PaymentOrder:
    db.session.expire_all()
    return db.session.scalar(select(PaymentOrder).where(PaymentOrder.application_id == application_id))


def pdf_text(document: Document) -> str:
    from flask import current_app

    with storage_from_config(current_app.config).open(document.blob_sha256) as stream:
        reader = PdfReader(io.BytesIO(stream.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- the fee before paying ----------------------------------------------------------------------


def test_review_page_shows_the_amount_and_how_it_is_computed_for_these_answers(client, demo, create_citizen):
    login(client, create_citizen().email)
    application_id = fill_all_steps(client, copies="4", purpose="Du hoc", fee_category="student")
    page = client.get(f"/applications/{application_id}/review").get_data(as_text=True)
    # Students pay 100.000 for the certificate; the 3rd and 4th certificates cost 5.000 each: 110.000.
    assert "110.000 đ" in page
    assert "Học sinh, sinh viên, người có công, thân nhân liệt sĩ" in page
    assert "200.000 đ × 1 = 200.000 đ" in page and "5.000 đ × 2 = 10.000 đ" in page
    assert "-100.000 đ → 100.000 đ" in page


def test_procedure_page_lists_the_rules_and_when_to_pay(client, demo):
    page = client.get("/procedures/cap-phieu-ly-lich-tu-phap").get_data(as_text=True)
    assert "200.000 đ" in page and "5.000 đ" in page
    assert "ngay sau khi gửi hồ sơ" in page  # "right after sending the application", in Vietnamese


# --- submission makes the fee due, never blocks --------------------------------------------------


def test_sending_makes_the_fee_due_and_the_receipt_page_offers_to_pay(client, demo, create_citizen):
    application_id = file_criminal_record(client, create_citizen, demo)
    application = db.session.get(Application, application_id)
    assert application.state == ApplicationState.SUBMITTED  # sent although nothing is paid
    assert services.outstanding_amount(application) == 200_000
    receipt = client.get(f"/applications/{application_id}/receipt").get_data(as_text=True)
    assert "200.000 đ" in receipt and f"/applications/{application_id}/pay" in receipt
    pay_page = client.get(f"/applications/{application_id}/pay")
    assert "Phí cấp Phiếu lý lịch tư pháp" in pay_page.get_data(as_text=True)
    assert "form-action 'self' http://127.0.0.1:5001" in pay_page.headers["Content-Security-Policy"]


def test_a_free_applicant_owes_nothing(client, demo, create_citizen):
    from tests.filing import pdf_bytes, send, upload

    login(client, create_citizen().email)
    application_id = fill_all_steps(client, copies="1", purpose="x", fee_category="exempt")
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    send(client, application_id)
    assert order_for(application_id) is None
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Hồ sơ này không phải nộp phí" in page


# --- every IPN answer ----------------------------------------------------------------------------


@pytest.fixture
def paying(client, demo, create_citizen, merchant_config):
    """A filed application and the signed parameters of its first trip to the gateway."""
    application_id = file_criminal_record(client, create_citizen, demo)
    return application_id, start_paying(client, application_id)


def test_a_verified_ipn_credits_once_issues_the_receipt_and_tells_the_citizen(app, client, paying, create_staff):
    application_id, params = paying
    assert params["vnp_Amount"] == "20000000" and params["vnp_TmnCode"] == "PAYTEST1"
    answered = ipn(client, signed(gateway_result(params)))
    assert answered == {"RspCode": "00", "Message": "Confirm Success"}
    order = order_for(application_id)
    assert order.state == OrderState.PAID and credits() == 1
    assert services.outstanding_amount(order.application) == 0
    assert any(m.event == "payment_received" and "200.000 đồng" in m.subject for m in outbox())

    receipt = db.session.scalar(select(PaymentReceipt))
    document = db.session.get(Document, receipt.document_id)
    assert document.provenance == Provenance.ISSUED and document.owner_id == order.payer_id
    text = pdf_text(document)
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ" in text
    assert "200.000 đ" in text and order.application.code in text and receipt.number in text

    timeline = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Đã nộp 200.000 đ" in timeline and f"/warehouse/{document.id}/download" in timeline
    history = timeline[timeline.index('id="history"') :]
    assert "Bạn đã nộp 200.000 đ trực tuyến." in history
    assert client.get(f"/warehouse/{document.id}/download").data.startswith(b"%PDF")
    # The clerk handling the file opens the same receipt from the file page (it answered 404).
    clerk = app.test_client()
    login(clerk, create_staff(Role.CLERK, "000.00.02.H99", "Đặng Thị Lan").email)
    office = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    [link] = re.findall(r'href="(/office/documents/[^"]+)"[^>]*>[^<]*' + receipt.number, office)
    assert clerk.get(link.replace("&amp;", "&")).data.startswith(b"%PDF")

    # Replayed: "already confirmed", and nothing more happens.
    assert ipn(client, signed(gateway_result(params)))["RspCode"] == "02"
    assert credits() == 1
    answers = [call.answer for call in db.session.scalars(select(IpnCall).order_by(IpnCall.id))]
    assert answers == ["confirmed", "already_confirmed"]


def test_a_forged_signature_is_refused_and_changes_nothing(client, paying):
    application_id, params = paying
    assert ipn(client, signed(gateway_result(params), secret="NOT-THE-SECRET"))["RspCode"] == "97"
    tampered = signed(gateway_result(params)).replace("vnp_Amount=20000000", "vnp_Amount=100")
    assert ipn(client, tampered)["RspCode"] == "97"
    assert order_for(application_id).state == OrderState.DUE and credits() == 0


def test_a_signed_amount_that_differs_from_the_order_is_refused(client, paying):
    application_id, params = paying
    assert ipn(client, signed(gateway_result(params, vnp_Amount="100000")))["RspCode"] == "04"
    assert order_for(application_id).state == OrderState.DUE and credits() == 0


def test_unknown_orders_and_other_merchants_are_not_found(client, paying):
    _application_id, params = paying
    assert ipn(client, signed(gateway_result(params, vnp_TxnRef="NOSUCHREF")))["RspCode"] == "01"
    assert ipn(client, signed(gateway_result(params, vnp_TmnCode="OTHERMRC")))["RspCode"] == "01"
    assert credits() == 0


def test_a_signed_but_incomplete_notification_is_an_unknown_error(client, paying):
    _application_id, params = paying
    result = gateway_result(params)
    del result["vnp_ResponseCode"]
    assert ipn(client, signed(result))["RspCode"] == "99"


def test_a_cancelled_payment_leaves_the_fee_due_and_the_citizen_pays_later(client, paying):
    application_id, params = paying
    assert ipn(client, signed(gateway_result(params, outcome="cancelled")))["RspCode"] == "00"
    order = order_for(application_id)
    assert order.state == OrderState.DUE and order.attempts[0].state == AttemptState.FAILED
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Lần thanh toán trước chưa hoàn tất" in page and f"/applications/{application_id}/pay" in page

    later = start_paying(client, application_id)
    assert later["vnp_TxnRef"] != params["vnp_TxnRef"]  # a new reference: the gateway refuses reused ones
    assert ipn(client, signed(gateway_result(later)))["RspCode"] == "00"
    assert order_for(application_id).state == OrderState.PAID and credits() == 1


def test_money_for_an_order_no_longer_due_is_credited_then_refunded(client, paying, gateway):
    application_id, first = paying
    second = start_paying(client, application_id)  # the citizen paid in two tabs
    for params in (first, second):
        # Paid for real on the mock gateway, whose records the refund needs; the IPNs are sent here.
        pay_on_gateway(gateway, params, ipn_off=True)
        ipn(client, signed(gateway_result(params, vnp_TransactionNo=transaction_no(gateway, params))))
    order = order_for(application_id)
    assert credits() == 2
    refund = db.session.scalar(select(Refund))
    assert refund.reason == "not_due" and refund.amount == 200_000 and refund.state == RefundState.DONE
    assert refund.attempt.txn_ref == second["vnp_TxnRef"]
    assert order.state == OrderState.PAID  # the first payment stands


# --- helpers for the real gateway -------------------------------------------------------------------


def signed_request(params: dict[str, str]) -> str:
    from onestop.payments import vnpay

    request = {name: value for name, value in params.items() if name != "vnp_SecureHash"}
    return vnpay.signed_query(request, SECRET)


def transaction_no(gateway, params) -> str:
    row = gateway.store.find_transaction(params["vnp_TmnCode"], params["vnp_TxnRef"], params["vnp_CreateDate"])
    return row["transaction_no"]


def pay_on_gateway(gateway, params, outcome="success", ipn_off=False, repeat=1):
    """The payer's browser on the gateway: open the pay page, choose the outcome; returns the return path."""
    gw = gateway.app.test_client()
    page = gw.get(f"/paymentv2/vpcpay.html?{signed_request(params)}")
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="token" value="([^"]+)"', page.text)[1]
    form = {"token": token, "outcome": outcome, "ipn_repeat": str(repeat)}
    if ipn_off:
        form["ipn_off"] = "1"
    done = gw.post("/paymentv2/confirm", data=form)
    assert done.status_code == 302
    location = done.headers["Location"]
    return location[location.index("/payments/vnpay/return") :]


def wait_until(check, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


# --- the return page and the race with the IPN --------------------------------------------------------


def test_return_before_the_ipn_asks_the_gateway_and_records_once(client, demo, create_citizen, gateway):
    application_id = file_criminal_record(client, create_citizen, demo)
    params = start_paying(client, application_id)
    back = pay_on_gateway(gateway, params, ipn_off=True)  # the IPN is lost
    page = client.get(back).get_data(as_text=True)
    assert "Đã nhận tiền" in page  # querydr told us, signed, server to server
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.confirmed_by == "querydr" and credits() == 1
    # The IPN arrives late: already confirmed.
    late = gateway_result(params, vnp_TransactionNo=attempt.transaction_no)
    assert ipn(client, signed(late))["RspCode"] == "02" and credits() == 1


def test_the_return_page_never_guesses_from_the_browser_url(client, demo, create_citizen, gateway):
    application_id = file_criminal_record(client, create_citizen, demo)
    params = start_paying(client, application_id)
    gw = gateway.app.test_client()
    assert gw.get(f"/paymentv2/vpcpay.html?{signed_request(params)}").status_code == 200  # payer still there
    # A (validly signed) return claiming success, while the gateway has no outcome yet.
    page = client.get(f"/payments/vnpay/return?{signed(gateway_result(params))}").get_data(as_text=True)
    assert "Đang chờ cổng thanh toán" in page and "Kiểm tra lại" in page
    assert credits() == 0 and order_for(application_id).state == OrderState.DUE
    assert client.get("/payments/vnpay/return?vnp_TxnRef=x&vnp_ResponseCode=00").status_code == 400


def test_the_return_and_many_ipns_racing_credit_exactly_once(client, demo, create_citizen, gateway, portal_url):
    application_id = file_criminal_record(client, create_citizen, demo)
    params = start_paying(client, application_id)
    back = pay_on_gateway(gateway, params, ipn_off=True)
    attempt_ref = params["vnp_TxnRef"]
    query = signed(gateway_result(params, vnp_TransactionNo=transaction_no(gateway, params)))
    answers: list[str] = []
    barrier = threading.Barrier(9)

    def send_ipn():
        barrier.wait()
        with urllib.request.urlopen(f"{portal_url}/payments/vnpay/ipn?{query}", timeout=30) as response:
            answers.append(json.loads(response.read())["RspCode"])

    threads = [threading.Thread(target=send_ipn) for _ in range(8)]
    for thread in threads:
        thread.start()
    barrier.wait()
    page = client.get(back).get_data(as_text=True)
    for thread in threads:
        thread.join()
    assert "Đã nhận tiền" in page
    assert credits() == 1
    # Whoever came first (the return page's querydr or one IPN) recorded it; every IPN after that heard 02.
    assert answers.count("00") <= 1 and set(answers) <= {"00", "02"}
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.txn_ref == attempt_ref))
    assert attempt.state == AttemptState.SUCCEEDED
    assert (
        len(outbox()) == len([m for m in outbox() if m.id])
        and sum(m.event == "payment_received" and m.channel == "email" for m in outbox()) == 1
    )


def test_the_gateway_repeating_its_ipn_is_answered_already_confirmed(client, demo, create_citizen, gateway):
    application_id = file_criminal_record(client, create_citizen, demo)
    params = start_paying(client, application_id)
    pay_on_gateway(gateway, params, repeat=3)  # the browser does not come back; only the IPNs arrive

    def answered():
        return [row["rsp_code"] for row in gateway.store.listing()["ipn_attempts"]]

    wait_until(lambda: len(answered()) == 3)
    assert sorted(answered()) == ["00", "02", "02"]
    assert credits() == 1 and order_for(application_id).state == OrderState.PAID
    wait_until(lambda: db.session.scalar(select(func.count()).select_from(PaymentReceipt)) == 1)


def test_ten_duplicate_ipns_at_once_credit_exactly_once(client, paying, portal_url):
    """Real threads, each its own HTTP request and database session (run it with TEST_DATABASE_URL on PostgreSQL)."""
    application_id, params = paying
    query = signed(gateway_result(params))
    answers: list[str] = []
    barrier = threading.Barrier(10)

    def send_ipn():
        barrier.wait()
        with urllib.request.urlopen(f"{portal_url}/payments/vnpay/ipn?{query}", timeout=30) as response:
            answers.append(json.loads(response.read())["RspCode"])

    threads = [threading.Thread(target=send_ipn) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["00"] + ["02"] * 9
    assert credits() == 1 and order_for(application_id).state == OrderState.PAID
    assert db.session.scalar(select(func.count()).select_from(IpnCall)) == 10


# --- refunds ------------------------------------------------------------------------------------------


def test_a_withdrawn_paid_application_is_refunded_through_the_gateway(client, demo, create_citizen, gateway):
    application_id = file_criminal_record(client, create_citizen, demo)
    params = start_paying(client, application_id)
    client.get(pay_on_gateway(gateway, params, ipn_off=True))
    assert order_for(application_id).state == OrderState.PAID
    response = submit(client, f"/applications/{application_id}/withdraw", {"reason": "Không cần nữa"})
    assert response.status_code == 302
    order = order_for(application_id)
    refund = order.refunds[0]
    assert refund.state == RefundState.DONE and refund.amount == 200_000 and refund.reason == "withdrawn"
    assert order.state == OrderState.REFUNDED
    ledger = [entry.amount for entry in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert ledger == [200_000, -200_000]
    assert gateway.store.listing()["refunds"][0]["amount"] == 200_000 * 100
    assert any(m.event == "refund_sent" and "200.000 đồng" in m.subject for m in outbox())
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Đã hoàn 200.000 đ" in page


def test_a_refused_application_is_refunded_in_full(client, demo, create_citizen, create_staff, gateway):
    from onestop.accounts.models import Role
    from tests.office.conftest import act, as_staff

    application_id = file_criminal_record(client, create_citizen, demo)
    params = start_paying(client, application_id)
    client.get(pay_on_gateway(gateway, params, ipn_off=True))
    clerk = as_staff(client.application, create_staff(Role.CLERK, "000.00.02.H99", "Đặng Thị Lan"))
    assert act(clerk, application_id, "refuse", {"reason": "Sai cơ quan"}).status_code == 302
    order = order_for(application_id)
    assert order.state == OrderState.REFUNDED and order.refunds[0].amount == 200_000
    assert any("hoàn" in m.body.lower() for m in outbox())


HOUSEHOLD_OWNER = {
    "full_name": "Lê Văn Hùng",
    "birth_date-day": "2",
    "birth_date-month": "9",
    "birth_date-year": "1985",
    "gender": "male",
    "citizen_id": "001085012345",
    "address-unit": "99101",
    "address-street": "5 Trần Phú",
    "phone": "0912345679",
    "email": "",
}
HOUSEHOLD_BUSINESS = {
    "business_name": "Tạp hóa Hùng",
    "business_address-unit": "99101",
    "business_address-street": "5 Trần Phú",
    "business_lines": "Bán lẻ tạp hóa",
    "capital": "50000000",
    "employees": "1",
}


def test_a_partial_refund_where_the_procedure_says_so(client, demo, create_citizen, gateway):
    user = create_citizen()
    login(client, user.email)
    slug = "dang-ky-thanh-lap-ho-kinh-doanh"
    url = start(client, slug)
    application_id = int(re.search(r"/applications/(\d+)/", url)[1])
    answer(client, url, HOUSEHOLD_OWNER)
    answer(client, f"/applications/{application_id}/steps/business", HOUSEHOLD_BUSINESS)
    answer(client, f"/applications/{application_id}/steps/household", {"several_members": "no"})
    from tests.filing import send

    assert send(client, application_id).status_code == 302
    params = start_paying(client, application_id)
    assert params["vnp_Amount"] == "10000000"
    client.get(pay_on_gateway(gateway, params, ipn_off=True))
    submit(client, f"/applications/{application_id}/withdraw", {"reason": "Đổi địa điểm"})
    refund = order_for(application_id).refunds[0]
    # The pack keeps half on withdrawal (refund: {withdrawn: 50}); the gateway got a partial refund (03).
    assert refund.amount == 50_000 and refund.state == RefundState.DONE
    assert gateway.store.listing()["refunds"][0]["transaction_type"] == "03"


def test_an_unpaid_fee_of_a_withdrawn_application_is_cancelled(client, demo, create_citizen, merchant_config):
    application_id = file_criminal_record(client, create_citizen, demo)
    submit(client, f"/applications/{application_id}/withdraw", {"reason": "Nhầm"})
    order = order_for(application_id)
    assert order.state == OrderState.CANCELLED and services.outstanding_amount(order.application) == 0


# --- reconciliation -----------------------------------------------------------------------------------


def test_reconciliation_finds_a_planted_difference_and_is_safe_to_run_again(
    app, client, demo, create_citizen, gateway, tmp_path
):
    application_id = file_criminal_record(client, create_citizen, demo)
    paid = start_paying(client, application_id)
    client.get(pay_on_gateway(gateway, paid, ipn_off=True))
    other = app.test_client()
    cancelled_id = file_criminal_record(other, create_citizen, demo)
    cancelled = start_paying(other, cancelled_id)
    other.get(pay_on_gateway(gateway, cancelled, outcome="cancelled", ipn_off=True))
    today = localtime.today().isoformat()

    runner = app.test_cli_runner()
    clean = runner.invoke(args=["payments", "reconcile", "--date", today])
    assert "2 payment(s) checked, 0 difference(s)" in clean.output, clean.output

    # Planted: the gateway says the cancelled payment went through after all.
    with sqlite3.connect(gateway.app.config["GATEWAY_DB"]) as store:
        store.execute(
            "UPDATE transactions SET response_code = '00', transaction_status = '00' WHERE txn_ref = ?",
            (cancelled["vnp_TxnRef"],),
        )
    ledger_before = [entry.amount for entry in db.session.scalars(select(LedgerEntry))]
    for _ in range(2):
        result = runner.invoke(args=["payments", "reconcile", "--date", today])
        assert "1 difference(s)" in result.output
        assert f"paid_at_gateway_not_recorded: {cancelled['vnp_TxnRef']}" in result.output
    db.session.expire_all()
    assert [entry.amount for entry in db.session.scalars(select(LedgerEntry))] == ledger_before
    assert db.session.scalar(select(func.count()).select_from(ReconciliationRun)) == 3
