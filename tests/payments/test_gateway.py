"""The mock VNPay gateway end to end: its own app and database, and a real merchant receiving the IPNs.

The merchant is a small Flask app served by werkzeug on a free loopback port, so the IPN travels over
HTTP exactly as it would from the real gateway; nothing is mocked.
"""

import hashlib
import hmac
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from onestop.payments import vnpay
from onestop.payments.gateway import create_gateway

TMN_CODE = "TESTMRC1"
SECRET = "GATEWAYTESTSECRET0123456789ABCDE"
RETURN_URL = "http://merchant.example/payments/vnpay/return?src=portal"
_numbers = count(1)


@dataclass
class Merchant:
    """What the merchant's IPN endpoint received, and the answers it will give (then 00 for ever)."""

    url: str
    received: list[dict[str, str]] = field(default_factory=list)
    answers: deque = field(default_factory=deque)

    def wait_for(self, how_many: int, timeout: float = 5) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < how_many and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= how_many, f"{len(self.received)} IPN(s) arrived, expected {how_many}"
        return self.received


@pytest.fixture(scope="module")
def merchant_server():
    """One server for the module (werkzeug takes half a second to shut down); state reset per test."""
    app = Flask("merchant")
    state = Merchant(url="")

    @app.get("/ipn")
    def ipn():
        state.received.append(request.args.to_dict())
        code = state.answers.popleft() if state.answers else "00"
        return {"RspCode": code, "Message": vnpay.IPN_MESSAGES[code]}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    state.url = f"http://127.0.0.1:{server.server_port}/ipn"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    thread.join()


@pytest.fixture
def merchant(merchant_server):
    merchant_server.received.clear()
    merchant_server.answers.clear()
    return merchant_server


@pytest.fixture
def gateway(tmp_path, merchant):
    return create_gateway(
        {
            "TESTING": True,
            "GATEWAY_DB": str(tmp_path / "gateway.db"),
            "VNPAY_TMN_CODE": TMN_CODE,
            "VNPAY_HASH_SECRET": SECRET,
            "VNPAY_IPN_URL": merchant.url,
            "GATEWAY_IPN_RETRIES": 2,
            "GATEWAY_IPN_RETRY_INTERVAL": 0.05,
            "GATEWAY_IPN_TIMEOUT": 5,
        }
    )


@pytest.fixture
def gw(gateway):
    return gateway.test_client()


def store(gateway):
    return gateway.extensions["vnpay_gateway"]["store"]


def pay_params(**changes) -> dict[str, str]:
    params = {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": TMN_CODE,
        "vnp_Amount": str(150_000 * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": f"MS{next(_numbers):06d}",
        "vnp_OrderInfo": "Nop le phi ho so MS-260315-0001",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": RETURN_URL,
        "vnp_IpAddr": "127.0.0.1",
        "vnp_CreateDate": vnpay.vnp_date(datetime.now(UTC)),
    }
    params.update(changes)
    return params


def open_payment(gw, params: dict[str, str], secret: str = SECRET):
    return gw.get(f"{vnpay.PAY_PATH}?{vnpay.signed_query(params, secret)}")


def start_payment(gw, **changes) -> tuple[dict[str, str], str]:
    """Open a signed pay URL; returns the params sent and the page's transaction token."""
    params = pay_params(**changes)
    page = open_payment(gw, params)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "THỬ NGHIỆM" in html and "150.000 ₫" in html and params["vnp_OrderInfo"] in html
    return params, re.search(r'name="token" value="([^"]+)"', html).group(1)


def confirm(gw, token: str, outcome: str = "success", **form):
    return gw.post("/paymentv2/confirm", data={"token": token, "outcome": outcome, **form})


def returned_params(response) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(RETURN_URL + "&vnp_")
    assert re.search(r"&vnp_SecureHash=[0-9a-f]{128}$", location)
    params = dict(parse_qsl(urlsplit(location).query))
    assert params.pop("src") == "portal"
    assert vnpay.verify_query(params, SECRET)
    return params


def pay(gw, merchant) -> dict[str, str]:
    """A whole successful payment with one IPN; returns the params the IPN carried."""
    _, token = start_payment(gw)
    # Counted before confirming: the IPN may arrive before `confirm` returns.
    expected = len(merchant.received) + 1
    confirm(gw, token)
    return merchant.wait_for(expected)[-1]


@pytest.mark.parametrize(
    ("outcome", "response_code", "status"),
    [
        ("success", "00", "00"),
        ("cancelled", "24", "02"),
        ("insufficient_funds", "51", "02"),
        ("timeout", "11", "02"),
    ],
)
def test_each_outcome_returns_and_notifies_signed_params(gw, merchant, outcome, response_code, status):
    params, token = start_payment(gw)
    back = returned_params(confirm(gw, token, outcome))
    assert back["vnp_ResponseCode"] == response_code
    assert back["vnp_TransactionStatus"] == status
    assert back["vnp_Amount"] == "15000000"
    assert back["vnp_TxnRef"] == params["vnp_TxnRef"]
    assert back["vnp_TmnCode"] == TMN_CODE
    assert back["vnp_OrderInfo"] == params["vnp_OrderInfo"]
    assert vnpay.parse_vnp_date(back["vnp_PayDate"])
    assert back["vnp_TransactionNo"].isdigit()
    assert (back["vnp_TransactionNo"] != "0") == (outcome in ("success", "insufficient_funds"))
    if outcome == "success":
        assert back["vnp_BankCode"] == "NCB"
        assert back["vnp_CardType"] == "ATM"
        assert back["vnp_BankTranNo"] == f"VNP{back['vnp_TransactionNo']}"
    (ipn,) = merchant.wait_for(1)
    assert vnpay.verify_query(ipn, SECRET)
    assert ipn == back


def test_transaction_numbers_are_unique(gw, merchant):
    first = pay(gw, merchant)
    second = pay(gw, merchant)
    assert first["vnp_TransactionNo"] != second["vnp_TransactionNo"]


def test_repeated_ipn_arrives_that_many_times(gw, gateway, merchant):
    _, token = start_payment(gw)
    confirm(gw, token, ipn_repeat="3")
    received = merchant.wait_for(3)
    time.sleep(0.2)
    assert len(received) == 3
    assert received[0] == received[1] == received[2]
    attempts = store(gateway).listing()["ipn_attempts"]
    assert sorted(a["round"] for a in attempts) == [1, 2, 3]
    assert {a["rsp_code"] for a in attempts} == {"00"}


def test_delayed_ipn(gw, merchant):
    _, token = start_payment(gw)
    sent = time.monotonic()
    confirm(gw, token, ipn_delay="1")
    time.sleep(0.5)
    assert merchant.received == []
    merchant.wait_for(1)
    assert time.monotonic() - sent >= 1


def test_no_ipn_at_all(gw, gateway, merchant):
    _, token = start_payment(gw)
    back = returned_params(confirm(gw, token, ipn_off="1"))
    assert back["vnp_ResponseCode"] == "00"
    time.sleep(0.3)
    assert merchant.received == []
    assert store(gateway).listing()["ipn_attempts"] == []


def test_unacknowledged_ipn_is_retried_and_recorded(gw, gateway, merchant):
    merchant.answers.extend(["99", "97"])
    _, token = start_payment(gw)
    confirm(gw, token)
    merchant.wait_for(3)
    time.sleep(0.2)
    assert len(merchant.received) == 3  # two refusals, then 00 stops the retries
    attempts = sorted(store(gateway).listing()["ipn_attempts"], key=lambda a: a["attempt"])
    assert [(a["attempt"], a["rsp_code"], a["http_status"]) for a in attempts] == [
        (1, "99", 200),
        (2, "97", 200),
        (3, "00", 200),
    ]
    page = gw.get("/gateway/transactions").get_data(as_text=True)
    assert "Confirm Success" in page and "Invalid signature" in page


def test_retries_stop_after_the_configured_count(gw, gateway, merchant):
    merchant.answers.extend(["99"] * 10)
    _, token = start_payment(gw)
    confirm(gw, token)
    merchant.wait_for(3)  # the first call and GATEWAY_IPN_RETRIES=2 retries
    time.sleep(0.3)
    assert len(merchant.received) == 3


def test_forged_signature_is_refused_and_records_nothing(gw, gateway, merchant):
    params = pay_params()
    query = vnpay.signed_query(params, SECRET).replace("vnp_Amount=15000000", "vnp_Amount=100")
    page = gw.get(f"{vnpay.PAY_PATH}?{query}")
    assert page.status_code == 400
    assert "70" in page.get_data(as_text=True) and "Sai chữ ký" in page.get_data(as_text=True)
    assert open_payment(gw, params, secret="not the secret").status_code == 400
    assert store(gateway).listing()["transactions"] == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"vnp_TmnCode": "UNKNOWN1"}, "72"),
        ({"vnp_Version": "2.0.1"}, "03"),
        ({"vnp_Amount": "150000.5"}, "03"),
        ({"vnp_Amount": "1500001"}, "03"),
        ({"vnp_CurrCode": "USD"}, "03"),
        ({"vnp_CreateDate": "2026-03-15"}, "03"),
        ({"vnp_TxnRef": ""}, "03"),
        ({"vnp_Command": "querydr"}, "03"),
    ],
)
def test_malformed_payment_requests_are_refused(gw, gateway, changes, code):
    page = open_payment(gw, pay_params(**changes))
    assert page.status_code == 400
    assert f"<strong>{code}</strong>" in page.get_data(as_text=True)
    assert store(gateway).listing()["transactions"] == []


def test_reload_shows_the_same_payment_and_an_outcome_is_final(gw, gateway, merchant):
    params, token = start_payment(gw)
    assert re.search(r'name="token" value="([^"]+)"', open_payment(gw, params).get_data(as_text=True)).group(1) == token
    confirm(gw, token)
    assert confirm(gw, token, "cancelled").status_code == 409
    assert open_payment(gw, params).status_code == 400  # the TxnRef is used up
    assert len(store(gateway).listing()["transactions"]) == 1


def test_confirm_checks_its_form(gw):
    _, token = start_payment(gw)
    assert confirm(gw, token, "bribe").status_code == 400
    assert confirm(gw, token, ipn_repeat="21").status_code == 400
    assert confirm(gw, token, ipn_delay="121").status_code == 400
    assert confirm(gw, "no-such-token").status_code == 404


# --- querydr and refund -----------------------------------------------------------------------------


def api(gw, command: str, secret: str = SECRET, **fields):
    body = {
        "vnp_RequestId": f"R{next(_numbers):08d}",
        "vnp_Version": "2.1.0",
        "vnp_Command": command,
        "vnp_TmnCode": TMN_CODE,
        "vnp_CreateDate": vnpay.vnp_date(datetime.now(UTC)),
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": f"{command} test",
    }
    body.update(fields)
    order = vnpay.QUERYDR_REQUEST_FIELDS if command == "querydr" else vnpay.REFUND_REQUEST_FIELDS
    body.setdefault("vnp_SecureHash", vnpay.sign_api(vnpay.api_values(body, order), secret))
    response = gw.post(vnpay.API_PATH, json=body)
    assert response.status_code == 200
    answer = response.get_json()
    answer_order = vnpay.QUERYDR_RESPONSE_FIELDS if command == "querydr" else vnpay.REFUND_RESPONSE_FIELDS
    if answer["vnp_ResponseCode"] != "02":
        assert vnpay.verify_api(answer, answer_order, SECRET), answer
    return answer


def querydr(gw, params, **fields):
    return api(gw, "querydr", vnp_TxnRef=params["vnp_TxnRef"], vnp_TransactionDate=params["vnp_CreateDate"], **fields)


def refund(gw, params, amount_vnd: int, kind: str = "03", **fields):
    request_fields = {
        "vnp_TxnRef": params["vnp_TxnRef"],
        "vnp_TransactionDate": params["vnp_CreateDate"],
        "vnp_TransactionType": kind,
        "vnp_Amount": amount_vnd * 100,
        "vnp_CreateBy": "canbo01",
    }
    return api(gw, "refund", **(request_fields | fields))


def paid(gw, outcome="success") -> dict[str, str]:
    """The request params of a payment given that outcome, with no IPN."""
    params, token = start_payment(gw)
    confirm(gw, token, outcome, ipn_off="1")
    return params


def test_querydr_reports_the_state(gw, merchant):
    params, token = start_payment(gw)
    pending = querydr(gw, params)
    assert (pending["vnp_ResponseCode"], pending["vnp_TransactionStatus"]) == ("00", "01")
    back = returned_params(confirm(gw, token))
    done = querydr(gw, params)
    assert done["vnp_ResponseCode"] == "00"
    assert done["vnp_TransactionStatus"] == "00"
    assert done["vnp_TransactionType"] == "01"
    assert done["vnp_Amount"] == "15000000"
    assert done["vnp_TransactionNo"] == back["vnp_TransactionNo"]
    assert done["vnp_PayDate"] == back["vnp_PayDate"]
    assert querydr(gw, params, vnp_TransactionNo=back["vnp_TransactionNo"])["vnp_ResponseCode"] == "00"


def test_querydr_errors(gw, merchant):
    params = paid(gw)
    assert querydr(gw, {**params, "vnp_TxnRef": "NOSUCHREF"})["vnp_ResponseCode"] == "91"
    assert querydr(gw, {**params, "vnp_CreateDate": "20200101000000"})["vnp_ResponseCode"] == "91"
    assert querydr(gw, params, vnp_TransactionNo="123")["vnp_ResponseCode"] == "91"
    assert querydr(gw, params, vnp_SecureHash="0" * 128)["vnp_ResponseCode"] == "97"
    assert (
        api(gw, "querydr", secret="wrong", vnp_TxnRef="X", vnp_TransactionDate="20260101000000")["vnp_ResponseCode"]
        == "97"
    )
    assert querydr(gw, params, vnp_TmnCode="UNKNOWN1")["vnp_ResponseCode"] == "02"
    assert querydr(gw, params, vnp_IpAddr="")["vnp_ResponseCode"] == "03"
    assert querydr(gw, params, vnp_Version="2.0.0")["vnp_ResponseCode"] == "03"
    assert querydr(gw, params, vnp_RequestId="not-alnum!")["vnp_ResponseCode"] == "03"
    first = querydr(gw, params, vnp_RequestId="SAMEID1")
    assert first["vnp_ResponseCode"] == "00"
    assert querydr(gw, params, vnp_RequestId="SAMEID1")["vnp_ResponseCode"] == "94"
    assert gw.post(vnpay.API_PATH, data="not json").get_json()["vnp_ResponseCode"] == "03"


def test_partial_refunds_up_to_the_amount(gw, gateway, merchant):
    params = paid(gw)
    first = refund(gw, params, 40_000)
    assert first["vnp_ResponseCode"] == "00"
    assert (first["vnp_TransactionType"], first["vnp_TransactionStatus"], first["vnp_Amount"]) == (
        "03",
        "05",
        "4000000",
    )
    state = querydr(gw, params)
    assert (state["vnp_TransactionType"], state["vnp_TransactionStatus"]) == ("03", "05")
    assert refund(gw, params, 110_001)["vnp_ResponseCode"] == "03"  # more than the 110,000 left
    assert refund(gw, params, 150_000, "02")["vnp_ResponseCode"] == "03"  # a full refund after a partial one
    assert refund(gw, params, 110_000)["vnp_ResponseCode"] == "00"
    assert refund(gw, params, 1)["vnp_ResponseCode"] == "03"
    refunds = store(gateway).listing()["refunds"]
    assert sorted(r["amount"] for r in refunds) == [4_000_000, 11_000_000]
    assert len({r["transaction_no"] for r in refunds}) == 2


def test_full_refund_once(gw, gateway, merchant):
    params = paid(gw)
    assert refund(gw, params, 149_000, "02")["vnp_ResponseCode"] == "03"  # a full refund is the whole amount
    done = refund(gw, params, 150_000, "02", vnp_RequestId="FULL1")
    assert (done["vnp_ResponseCode"], done["vnp_TransactionType"]) == ("00", "02")
    assert refund(gw, params, 150_000, "02", vnp_RequestId="FULL1")["vnp_ResponseCode"] == "94"  # same request
    assert refund(gw, params, 150_000, "02")["vnp_ResponseCode"] == "94"  # already refunded
    assert refund(gw, params, 1_000)["vnp_ResponseCode"] == "94"
    assert querydr(gw, params)["vnp_TransactionType"] == "02"
    assert len(store(gateway).listing()["refunds"]) == 1


@pytest.mark.parametrize("outcome", ["cancelled", "insufficient_funds"])
def test_refund_of_an_unsuccessful_payment_is_refused(gw, merchant, outcome):
    assert refund(gw, paid(gw, outcome), 150_000, "02")["vnp_ResponseCode"] == "95"


def test_refund_errors(gw, merchant):
    params = paid(gw)
    assert refund(gw, params, 1_000, vnp_SecureHash="ab" * 64)["vnp_ResponseCode"] == "97"
    assert refund(gw, params, 1_000, "01")["vnp_ResponseCode"] == "03"
    assert refund(gw, params, 1_000, vnp_CreateBy="")["vnp_ResponseCode"] == "03"
    assert refund(gw, {**params, "vnp_TxnRef": "NOSUCHREF"}, 1_000)["vnp_ResponseCode"] == "91"
    pending, _ = start_payment(gw)
    assert refund(gw, pending, 1_000)["vnp_ResponseCode"] == "95"


def test_tester_pages(gw, merchant):
    pay(gw, merchant)
    page = gw.get("/gateway/transactions")
    assert page.status_code == 200
    assert "Lần gửi IPN" in page.get_data(as_text=True)
    assert gw.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def _signed_by_hand(body: dict, data: str) -> dict:
    """`body` signed over `data`, the "|"-joined text written out in the test, not by the code under test."""
    return {**body, "vnp_SecureHash": hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()}


def test_querydr_and_refund_take_dates_and_amounts_as_json_numbers(gw, merchant):
    """The `vnpay` npm client sends them as numbers; the gateway answers in the protocol's strings all the same."""
    params = paid(gw)
    created, ref, now = int(params["vnp_CreateDate"]), params["vnp_TxnRef"], int(vnpay.vnp_date(datetime.now(UTC)))
    query = {
        "vnp_RequestId": "JSNUM1",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": TMN_CODE,
        "vnp_TxnRef": ref,
        "vnp_TransactionDate": created,
        "vnp_CreateDate": now,
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "Truy van",
    }
    data = f"JSNUM1|2.1.0|querydr|{TMN_CODE}|{ref}|{created}|{now}|127.0.0.1|Truy van"
    state = gw.post(vnpay.API_PATH, json=_signed_by_hand(query, data)).get_json()
    assert (state["vnp_ResponseCode"], state["vnp_TransactionStatus"], state["vnp_Amount"]) == ("00", "00", "15000000")
    assert all(isinstance(value, str) for value in state.values())
    assert vnpay.verify_api(state, vnpay.QUERYDR_RESPONSE_FIELDS, SECRET)

    refund_body = {
        **query,
        "vnp_RequestId": "JSNUM2",
        "vnp_Command": "refund",
        "vnp_TransactionType": "03",
        "vnp_Amount": 5_000_000,
        "vnp_TransactionNo": 0,  # the npm client's default when the merchant does not know it
        "vnp_CreateBy": "canbo01",
    }
    data = f"JSNUM2|2.1.0|refund|{TMN_CODE}|03|{ref}|5000000|0|{created}|canbo01|{now}|127.0.0.1|Truy van"
    done = gw.post(vnpay.API_PATH, json=_signed_by_hand(refund_body, data)).get_json()
    assert (done["vnp_ResponseCode"], done["vnp_Amount"], done["vnp_TransactionType"]) == ("00", "5000000", "03")
    assert all(isinstance(value, str) for value in done.values())
    assert vnpay.verify_api(done, vnpay.REFUND_RESPONSE_FIELDS, SECRET)


@pytest.mark.parametrize(
    "changes",
    [{"vnp_Amount": 12.5}, {"vnp_Amount": True}, {"vnp_TransactionDate": [20260101000000]}, {"vnp_CreateBy": 7}],
    ids=["fraction", "boolean", "list", "number where the protocol has text"],
)
def test_other_json_types_are_invalid_data(gw, merchant, changes):
    assert refund(gw, paid(gw), 1_000, **changes)["vnp_ResponseCode"] == "03"
