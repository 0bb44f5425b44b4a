"""The VNPay 2.1.0 wire format against fixed vectors.

The canonical strings below were written by hand from shared/domain/payments.md (§2: vnp_* only,
no SecureHash/SecureHashType or empty values, sorted by name, values form-encoded; §5: values joined
by "|" in the documented order); each hex digest was computed once from that literal string with
Python's hmac module in a shell, not with the code under test.
"""

from datetime import UTC, datetime

import pytest

from onestop.payments import vnpay

SECRET = "VNPAYTESTSECRETKEY0123456789ABCD"

PAY_PARAMS = {
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "ONESTOP1",
    "vnp_Amount": "1000000",
    "vnp_CurrCode": "VND",
    "vnp_TxnRef": "MS2603150001",
    "vnp_OrderInfo": "Nop phi ho so MS-260315-0001",
    "vnp_OrderType": "other",
    "vnp_Locale": "vn",
    "vnp_ReturnUrl": "http://127.0.0.1:5000/payments/vnpay/return?src=portal",
    "vnp_IpAddr": "127.0.0.1",
    "vnp_CreateDate": "20260315103000",
    "vnp_BankCode": "",  # empty: left out of the signature and the query
    "vnp_SecureHashType": "HmacSHA512",  # 2.0.x leftover: never signed
    "utm_source": "mail",  # not a vnp_ parameter: never signed
}
PAY_CANONICAL = (
    "vnp_Amount=1000000&vnp_Command=pay&vnp_CreateDate=20260315103000&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1"
    "&vnp_Locale=vn&vnp_OrderInfo=Nop+phi+ho+so+MS-260315-0001&vnp_OrderType=other"
    "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A5000%2Fpayments%2Fvnpay%2Freturn%3Fsrc%3Dportal"
    "&vnp_TmnCode=ONESTOP1&vnp_TxnRef=MS2603150001&vnp_Version=2.1.0"
)
PAY_HASH = (
    "ffba3628c413eec33296b8c0b39568bf3ad4a031ac210a67147988a8a591a4fd"
    "6ad0c35e6091d3d021095b39f5ceba064ad895b4510d0fa048156c6833abfa14"
)

QUERYDR_REQUEST = {
    "vnp_RequestId": "Q20260316090000A1",
    "vnp_Version": "2.1.0",
    "vnp_Command": "querydr",
    "vnp_TmnCode": "ONESTOP1",
    "vnp_TxnRef": "MS2603150001",
    "vnp_OrderInfo": "Truy van giao dich MS2603150001",
    "vnp_TransactionDate": "20260315103000",
    "vnp_CreateDate": "20260316090000",
    "vnp_IpAddr": "127.0.0.1",
}
QUERYDR_DATA = (
    "Q20260316090000A1|2.1.0|querydr|ONESTOP1|MS2603150001|20260315103000|20260316090000|127.0.0.1"
    "|Truy van giao dich MS2603150001"
)
QUERYDR_HASH = (
    "e62b6ffd852617a180e143c1c1a939af08b91c9eeca5358ce12350555841406b"
    "0f56b49fa767b53145ad96c1047e44fb1dfc0f579d03dc4d8d59f3b2f659d261"
)

REFUND_REQUEST = {
    "vnp_RequestId": "R20260316091500B2",
    "vnp_Version": "2.1.0",
    "vnp_Command": "refund",
    "vnp_TmnCode": "ONESTOP1",
    "vnp_TransactionType": "03",
    "vnp_TxnRef": "MS2603150001",
    "vnp_Amount": 400000,  # a number in JSON; signed as its digits
    "vnp_OrderInfo": "Hoan mot phan le phi",
    "vnp_TransactionDate": "20260315103000",
    "vnp_CreateBy": "canbo01",
    "vnp_CreateDate": "20260316091500",
    "vnp_IpAddr": "127.0.0.1",
    # vnp_TransactionNo is optional: absent, it signs as an empty field
}
REFUND_DATA = (
    "R20260316091500B2|2.1.0|refund|ONESTOP1|03|MS2603150001|400000||20260315103000|canbo01|20260316091500"
    "|127.0.0.1|Hoan mot phan le phi"
)
REFUND_HASH = (
    "8abbe8b499964567d47bc21d9e3662de1c636b0fd1c16fe4671f6a8fe8489ea6"
    "bfb73864613f0c1083830352e7260e8001bc3e0c58a79da11b67db58800e8685"
)


def test_payment_url_canonical_string_and_signature():
    assert vnpay.canonical_query(PAY_PARAMS) == PAY_CANONICAL
    assert vnpay.sign_query(PAY_PARAMS, SECRET) == PAY_HASH
    assert vnpay.signed_query(PAY_PARAMS, SECRET) == f"{PAY_CANONICAL}&vnp_SecureHash={PAY_HASH}"


def test_values_are_utf8_form_encoded():
    assert vnpay.canonical_query({"vnp_OrderInfo": "Lệ phí ~ 50%"}) == "vnp_OrderInfo=L%E1%BB%87+ph%C3%AD+~+50%25"


def test_querydr_request_signature():
    values = vnpay.api_values(QUERYDR_REQUEST, vnpay.QUERYDR_REQUEST_FIELDS)
    assert "|".join(values) == QUERYDR_DATA
    assert vnpay.sign_api(values, SECRET) == QUERYDR_HASH
    assert vnpay.verify_api({**QUERYDR_REQUEST, "vnp_SecureHash": QUERYDR_HASH}, vnpay.QUERYDR_REQUEST_FIELDS, SECRET)


def test_refund_request_signature_with_a_missing_field():
    values = vnpay.api_values(REFUND_REQUEST, vnpay.REFUND_REQUEST_FIELDS)
    assert "|".join(values) == REFUND_DATA
    assert vnpay.sign_api(values, SECRET) == REFUND_HASH


def test_response_field_orders():
    assert vnpay.QUERYDR_RESPONSE_FIELDS[:13] == vnpay.REFUND_RESPONSE_FIELDS
    assert vnpay.QUERYDR_RESPONSE_FIELDS[13:] == ("vnp_PromotionCode", "vnp_PromotionAmount")
    assert vnpay.REFUND_RESPONSE_FIELDS[0] == "vnp_ResponseId"
    assert vnpay.REFUND_RESPONSE_FIELDS[-1] == "vnp_OrderInfo"


def _received(**changes: str) -> dict[str, str]:
    params = {**PAY_PARAMS, "vnp_SecureHash": PAY_HASH}
    params.update(changes)
    return params


def test_verify_query_accepts_the_vector_and_ignores_hash_type_and_empty_values():
    assert vnpay.verify_query(_received(), SECRET)
    assert vnpay.verify_query(_received(vnp_SecureHashType="SHA256"), SECRET)
    without_extras = {k: v for k, v in _received().items() if k not in ("vnp_SecureHashType", "vnp_BankCode")}
    assert vnpay.verify_query(without_extras, SECRET)
    assert vnpay.verify_query(_received(vnp_SecureHash=PAY_HASH.upper()), SECRET)


@pytest.mark.parametrize(
    "changes",
    [
        {"vnp_Amount": "100000000"},
        {"vnp_BankCode": "NCB"},
        {"vnp_SecureHash": PAY_HASH[:-1] + "5"},
        {"vnp_SecureHash": ""},
    ],
    ids=["tampered amount", "added value", "tampered signature", "no signature"],
)
def test_verify_query_rejects_tampering(changes):
    assert not vnpay.verify_query(_received(**changes), SECRET)


def test_verify_query_rejects_another_secret():
    assert not vnpay.verify_query(_received(), SECRET.lower())


def test_dates_are_gmt7():
    moment = datetime(2026, 3, 15, 3, 30, tzinfo=UTC)
    assert vnpay.vnp_date(moment) == "20260315103000"
    assert vnpay.vnp_date(datetime(2026, 3, 15, 17, 0)) == "20260316000000"  # naive means UTC
    assert vnpay.parse_vnp_date("20260315103000") == moment
    for wrong in ("2026031510300", "2026-03-15 10:30", "20261315103000"):
        with pytest.raises(ValueError):
            vnpay.parse_vnp_date(wrong)


def test_codes():
    assert vnpay.ResponseCode.CANCELLED == "24"
    assert vnpay.TransactionStatus.REFUND_SENT_TO_BANK == "06"
    assert vnpay.IPN_MESSAGES[vnpay.IpnRspCode.CONFIRM_SUCCESS] == "Confirm Success"
    assert {"00", "02"} == vnpay.IPN_ACKNOWLEDGED


# A widely used JavaScript client (the `vnpay` npm package) sends dates and amounts as JSON numbers and
# signs `values.map(String).join("|")`: a number is signed as its decimal digits, so the same request with
# numbers signs to the very hash of the vectors above.
QUERYDR_WITH_NUMBERS = {**QUERYDR_REQUEST, "vnp_TransactionDate": 20260315103000, "vnp_CreateDate": 20260316090000}
REFUND_WITH_NUMBERS = {
    **REFUND_REQUEST,
    "vnp_Amount": 400000.0,  # what a Python client's json.loads of JavaScript's 400000 * 1.0 gives back
    "vnp_TransactionDate": 20260315103000,
    "vnp_CreateDate": 20260316091500,
}


def test_numbers_sign_as_their_digits():
    assert "|".join(vnpay.api_values(QUERYDR_WITH_NUMBERS, vnpay.QUERYDR_REQUEST_FIELDS)) == QUERYDR_DATA
    assert vnpay.verify_api(
        {**QUERYDR_WITH_NUMBERS, "vnp_SecureHash": QUERYDR_HASH}, vnpay.QUERYDR_REQUEST_FIELDS, SECRET
    )
    assert "|".join(vnpay.api_values(REFUND_WITH_NUMBERS, vnpay.REFUND_REQUEST_FIELDS)) == REFUND_DATA
    assert vnpay.verify_api({**REFUND_WITH_NUMBERS, "vnp_SecureHash": REFUND_HASH}, vnpay.REFUND_REQUEST_FIELDS, SECRET)


@pytest.mark.parametrize(
    ("value", "digits"),
    [("20260315103000", "20260315103000"), (20260315103000, "20260315103000"), (1e6, "1000000"), (0, "0")],
)
def test_numeric_fields_accept_strings_and_whole_numbers(value, digits):
    assert vnpay.api_number_text(value) == digits


@pytest.mark.parametrize("value", [True, 12.5, -5, "12a", "１２", "²", [1], {"n": 1}, None])
def test_numeric_fields_refuse_anything_else(value):
    assert vnpay.api_number_text(value) is None
