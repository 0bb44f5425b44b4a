"""The VNPay payment API 2.1.0 on the wire, shared by the mock gateway and the portal's merchant side.

It follows the protocol description in shared/domain/payments.md. One module decides how a query is
signed, so the mock gateway and the portal cannot drift apart, and the real VNPay can replace the mock
by changing only the host and the merchant's code and secret.
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from urllib.parse import quote_plus

from onestop.inputs import same_secret

VERSION = "2.1.0"
PAY_PATH = "/paymentv2/vpcpay.html"
API_PATH = "/merchant_webapi/api/transaction"

# VNPay dates are wall-clock times in Vietnam, which has kept GMT+7 without daylight saving since 1975.
VN_TZ = timezone(timedelta(hours=7), "GMT+7")
DATE_FORMAT = "%Y%m%d%H%M%S"

# The demo merchant both sides fall back to when VNPAY_TMN_CODE / VNPAY_HASH_SECRET are not set.
DEMO_TMN_CODE = "ONESTOP1"
DEMO_HASH_SECRET = "ONESTOPDEMOSECRETNOTFORPRODUCTION"

SECURE_HASH = "vnp_SecureHash"
SECURE_HASH_TYPE = "vnp_SecureHashType"

# Field orders of the "|"-joined data the JSON API signs (payments.md §5). A missing field counts as "".
QUERYDR_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
QUERYDR_RESPONSE_FIELDS = (*REFUND_RESPONSE_FIELDS, "vnp_PromotionCode", "vnp_PromotionAmount")


class ResponseCode(StrEnum):
    """`vnp_ResponseCode` of a payment (Return URL and IPN)."""

    SUCCESS = "00"
    SUSPICIOUS = "07"
    NOT_ENROLLED = "09"
    AUTHENTICATION_FAILED = "10"
    EXPIRED = "11"
    CARD_LOCKED = "12"
    WRONG_OTP = "13"
    CANCELLED = "24"
    INSUFFICIENT_FUNDS = "51"
    DAILY_LIMIT_EXCEEDED = "65"
    BANK_MAINTENANCE = "75"
    WRONG_PASSWORD = "79"
    OTHER = "99"


RESPONSE_MESSAGES: dict[str, str] = {
    ResponseCode.SUCCESS: "Giao dịch thành công",
    ResponseCode.SUSPICIOUS: "Trừ tiền thành công, giao dịch bị nghi ngờ",
    ResponseCode.NOT_ENROLLED: "Thẻ/Tài khoản chưa đăng ký Internet Banking",
    ResponseCode.AUTHENTICATION_FAILED: "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần",
    ResponseCode.EXPIRED: "Đã hết hạn chờ thanh toán",
    ResponseCode.CARD_LOCKED: "Thẻ/Tài khoản bị khóa",
    ResponseCode.WRONG_OTP: "Nhập sai mật khẩu xác thực giao dịch (OTP)",
    ResponseCode.CANCELLED: "Khách hàng hủy giao dịch",
    ResponseCode.INSUFFICIENT_FUNDS: "Tài khoản không đủ số dư",
    ResponseCode.DAILY_LIMIT_EXCEEDED: "Tài khoản đã vượt quá hạn mức giao dịch trong ngày",
    ResponseCode.BANK_MAINTENANCE: "Ngân hàng thanh toán đang bảo trì",
    ResponseCode.WRONG_PASSWORD: "Nhập sai mật khẩu thanh toán quá số lần quy định",
    ResponseCode.OTHER: "Lỗi khác",
}


class TransactionStatus(StrEnum):
    """`vnp_TransactionStatus`: the state of a transaction at VNPay, in IPN, Return URL and querydr."""

    SUCCESS = "00"
    NOT_COMPLETED = "01"
    ERROR = "02"
    REVERSED = "04"
    REFUND_PROCESSING = "05"
    REFUND_SENT_TO_BANK = "06"
    SUSPECTED_FRAUD = "07"
    REFUND_REJECTED = "09"


class TransactionType(StrEnum):
    """`vnp_TransactionType` of the JSON API: what a refund asks for, what querydr reports."""

    PAYMENT = "01"
    FULL_REFUND = "02"
    PARTIAL_REFUND = "03"


class IpnRspCode(StrEnum):
    """`RspCode` the merchant answers an IPN with."""

    CONFIRM_SUCCESS = "00"
    ORDER_NOT_FOUND = "01"
    ALREADY_CONFIRMED = "02"
    IP_PROHIBITED = "03"
    INVALID_AMOUNT = "04"
    INVALID_SIGNATURE = "97"
    UNKNOWN_ERROR = "99"


IPN_MESSAGES: dict[str, str] = {
    IpnRspCode.CONFIRM_SUCCESS: "Confirm Success",
    IpnRspCode.ORDER_NOT_FOUND: "Order not found",
    IpnRspCode.ALREADY_CONFIRMED: "Order already confirmed",
    IpnRspCode.IP_PROHIBITED: "IP prohibited",
    IpnRspCode.INVALID_AMOUNT: "Invalid amount",
    IpnRspCode.INVALID_SIGNATURE: "Invalid signature",
    IpnRspCode.UNKNOWN_ERROR: "Unknown error",
}

# The answers after which VNPay stops re-sending an IPN: the merchant has the result.
IPN_ACKNOWLEDGED = frozenset({IpnRspCode.CONFIRM_SUCCESS, IpnRspCode.ALREADY_CONFIRMED})


class ApiResponseCode(StrEnum):
    """`vnp_ResponseCode` of the querydr and refund API."""

    SUCCESS = "00"
    INVALID_MERCHANT = "02"
    INVALID_FORMAT = "03"
    NOT_FOUND = "91"
    DUPLICATE_REQUEST = "94"
    NOT_SUCCESSFUL = "95"
    INVALID_CHECKSUM = "97"
    OTHER = "99"


API_MESSAGES: dict[str, str] = {
    ApiResponseCode.SUCCESS: "Success",
    ApiResponseCode.INVALID_MERCHANT: "Invalid TmnCode",
    ApiResponseCode.INVALID_FORMAT: "Invalid data format",
    ApiResponseCode.NOT_FOUND: "Transaction not found",
    ApiResponseCode.DUPLICATE_REQUEST: "Duplicate request",
    ApiResponseCode.NOT_SUCCESSFUL: "Original transaction not successful",
    ApiResponseCode.INVALID_CHECKSUM: "Invalid checksum",
    ApiResponseCode.OTHER: "Other error",
}


def _hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def canonical_query(params: Mapping[str, str]) -> str:
    """The string VNPay signs, which is also the query string sent: sorted, form-encoded vnp_* pairs."""
    items = sorted(
        (name, str(value))
        for name, value in params.items()
        if name.startswith("vnp_") and name not in (SECURE_HASH, SECURE_HASH_TYPE) and value not in ("", None)
    )
    return "&".join(f"{name}={quote_plus(value)}" for name, value in items)


def sign_query(params: Mapping[str, str], secret: str) -> str:
    """HMAC-SHA512 (hex, lower case) of a payment URL, Return URL or IPN query."""
    return _hmac_sha512(secret, canonical_query(params))


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string to send, with `vnp_SecureHash` last as VNPay's own samples put it."""
    return f"{canonical_query(params)}&{SECURE_HASH}={sign_query(params, secret)}"


def verify_query(params: Mapping[str, str], secret: str) -> bool:
    """Whether received (already URL-decoded) params carry a valid signature; constant-time compare."""
    return same_secret(str(params.get(SECURE_HASH) or "").lower(), sign_query(params, secret))


# Fields the protocol defines as numbers (VND × 100, yyyyMMddHHmmss, VNPay's transaction number). Clients
# send them as JSON strings or as JSON numbers (the widely used `vnpay` npm package sends dates and amounts
# as numbers); both mean the same value, and the gateway answers with strings whatever it was sent.
NUMERIC_FIELDS = frozenset({"vnp_Amount", "vnp_TransactionDate", "vnp_CreateDate", "vnp_TransactionNo"})
# Whole numbers beyond this are not exact in a JavaScript client's doubles: no protocol value needs them.
_LARGEST_EXACT_NUMBER = 2**53


def api_text(value: object) -> str:
    """One JSON API value as the text the "|"-joined hash data holds: what the sender's `String(value)` gave.

    A JSON number that is whole is written as its decimal digits (1e6 and 1000000.0 are the number
    1000000, as JSON and JavaScript have it), a missing or null field as "", a string as it is.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < _LARGEST_EXACT_NUMBER:
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def api_number_text(value: object) -> str | None:
    """A numeric field's digits, whether it came as a JSON string or a whole JSON number; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    text = api_text(value)
    return text if text.isascii() and text.isdigit() else None


def api_values(payload: Mapping[str, object], fields: Iterable[str]) -> list[str]:
    """The values of a JSON API message in a signing order, a missing or null field as ""."""
    return [api_text(payload.get(name)) for name in fields]


def sign_api(fields: list[str], secret: str) -> str:
    """HMAC-SHA512 (hex, lower case) of querydr/refund values joined by "|"."""
    return _hmac_sha512(secret, "|".join(fields))


def verify_api(payload: Mapping[str, object], fields: Iterable[str], secret: str) -> bool:
    """Whether a JSON API message's `vnp_SecureHash` matches its fields in that order; constant-time."""
    return same_secret(str(payload.get(SECURE_HASH) or "").lower(), sign_api(api_values(payload, fields), secret))


def vnp_date(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in GMT+7; a naive datetime is taken to be UTC, as the portal stores times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ).strftime(DATE_FORMAT)


def parse_vnp_date(value: str) -> datetime:
    """The aware datetime of a `yyyyMMddHHmmss` GMT+7 value; ValueError when it is not one."""
    if len(value) != 14 or not value.isdigit():
        raise ValueError(f"not a VNPay date: {value!r}")
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=VN_TZ)
