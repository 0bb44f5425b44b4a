"""A mock VNPay 2.1.0 gateway: its own small Flask app, so the portal's payments can be driven end to end.

It speaks the real wire format (payments.md): the pay URL, the Return URL, the IPN and the JSON
querydr/refund API, so a client built against it works with the real VNPay by changing only the host
and the merchant's code and secret. Its payment page lets a tester choose the outcome and how the IPN
is sent. It shares nothing with the portal but the protocol module.
"""

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, redirect, render_template, request

from onestop.config import VAR_DIR, demo_public_url
from onestop.payments import vnpay
from onestop.payments.gateway.ipn import MAX_DELAY_SECONDS, MAX_REPEAT, IpnPlan, start_ipns
from onestop.payments.gateway.store import GatewayStore, TxnRefTaken
from onestop.payments.vnpay import ApiResponseCode, ResponseCode, TransactionStatus, TransactionType


@dataclass(frozen=True)
class Merchant:
    tmn_code: str
    hash_secret: str
    ipn_url: str


@dataclass(frozen=True)
class Outcome:
    """A result the tester may choose; `is_numbered` is False when the payer never reached a bank."""

    label: str
    response_code: ResponseCode
    transaction_status: TransactionStatus
    is_numbered: bool


OUTCOMES: dict[str, Outcome] = {
    "success": Outcome("Thành công (00)", ResponseCode.SUCCESS, TransactionStatus.SUCCESS, True),
    "cancelled": Outcome("Khách hàng hủy giao dịch (24)", ResponseCode.CANCELLED, TransactionStatus.ERROR, False),
    "insufficient_funds": Outcome(
        "Tài khoản không đủ số dư (51)", ResponseCode.INSUFFICIENT_FUNDS, TransactionStatus.ERROR, True
    ),
    "timeout": Outcome("Hết hạn chờ thanh toán (11)", ResponseCode.EXPIRED, TransactionStatus.ERROR, False),
}

# Error codes VNPay's own error page shows for a refused payment URL.
PAY_ERROR_FORMAT = "03"
PAY_ERROR_SIGNATURE = "70"
PAY_ERROR_MERCHANT = "72"
PAY_ERROR_MESSAGES = {
    PAY_ERROR_FORMAT: "Dữ liệu gửi sang không đúng định dạng",
    PAY_ERROR_SIGNATURE: "Sai chữ ký",
    PAY_ERROR_MERCHANT: "Không tìm thấy website (vnp_TmnCode)",
}

IPN_PATH = "/payments/vnpay/ipn"
REQUIRED_PAY_PARAMS = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_Locale",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
)
REQUEST_ID = re.compile(r"[A-Za-z0-9]{1,32}")
DIGITS = re.compile(r"[0-9]{1,18}")


def _settings() -> dict[str, Any]:
    """Every setting, from the environment with demo defaults (see docs/operations.md)."""
    env = os.environ.get
    return {
        "GATEWAY_DB": env("GATEWAY_DB", str(VAR_DIR / "gateway.db")),
        "VNPAY_TMN_CODE": env("VNPAY_TMN_CODE", vnpay.DEMO_TMN_CODE),
        "VNPAY_HASH_SECRET": env("VNPAY_HASH_SECRET", vnpay.DEMO_HASH_SECRET),
        # The portal's IPN address: on its PUBLIC_URL, else on the demo portal's PORT.
        "VNPAY_IPN_URL": env("VNPAY_IPN_URL") or f"{(env('PUBLIC_URL') or demo_public_url()).rstrip('/')}{IPN_PATH}",
        "GATEWAY_IPN_RETRIES": int(env("GATEWAY_IPN_RETRIES", "3")),
        "GATEWAY_IPN_RETRY_INTERVAL": float(env("GATEWAY_IPN_RETRY_INTERVAL", "5")),
        "GATEWAY_IPN_TIMEOUT": float(env("GATEWAY_IPN_TIMEOUT", "10")),
    }


def create_gateway(config: Mapping[str, Any] | None = None) -> Flask:
    """The mock gateway app; `config` overrides settings (the tests give it a temporary GATEWAY_DB)."""
    app = Flask(__name__)
    app.config.update(_settings())
    app.config.update(config or {})
    merchant = Merchant(app.config["VNPAY_TMN_CODE"], app.config["VNPAY_HASH_SECRET"], app.config["VNPAY_IPN_URL"])
    app.extensions["vnpay_gateway"] = {
        "store": GatewayStore(app.config["GATEWAY_DB"]),
        "merchants": {merchant.tmn_code: merchant},
    }
    app.add_url_rule(vnpay.PAY_PATH, view_func=pay, methods=["GET"])
    app.add_url_rule("/paymentv2/confirm", view_func=confirm, methods=["POST"])
    app.add_url_rule(vnpay.API_PATH, view_func=transaction_api, methods=["POST"])
    app.add_url_rule("/gateway/transactions", view_func=transactions, methods=["GET"])
    app.add_url_rule("/healthz", view_func=healthz, methods=["GET"])
    app.add_url_rule("/", view_func=transactions, methods=["GET"])
    app.jinja_env.filters["vnd"] = format_vnd
    app.after_request(_security_headers)
    return app


def _store() -> GatewayStore:
    return current_app.extensions["vnpay_gateway"]["store"]


def _merchant(tmn_code: object) -> Merchant | None:
    return current_app.extensions["vnpay_gateway"]["merchants"].get(tmn_code)


def _security_headers(response: Response) -> Response:
    # No form-action: the confirm form's redirect to the merchant's Return URL must not be blocked.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def format_vnd(amount_x100: int | str) -> str:
    """10000000 (vnp_Amount) → "100.000 ₫", the way Vietnamese amounts are written."""
    return f"{int(amount_x100) // 100:,} ₫".replace(",", ".")


# --- the payment page -----------------------------------------------------------------------------


def _is_date(value: str) -> bool:
    try:
        vnpay.parse_vnp_date(value)
    except ValueError:
        return False
    return True


def _format_problem(params: Mapping[str, str]) -> str | None:
    """What is wrong with a signed payment request's fields, or None."""
    missing = [name for name in REQUIRED_PAY_PARAMS if not params.get(name)]
    if missing:
        return f"Thiếu tham số: {', '.join(missing)}"
    amount = params["vnp_Amount"]
    problems = {
        "vnp_Version phải là 2.1.0": params["vnp_Version"] != vnpay.VERSION,
        "vnp_Command phải là pay": params["vnp_Command"] != "pay",
        # VND has no minor unit, so an amount sent as VND x 100 always ends in 00.
        "vnp_Amount phải là số tiền VND × 100": not DIGITS.fullmatch(amount) or int(amount) <= 0 or int(amount) % 100,
        "vnp_CurrCode phải là VND": params["vnp_CurrCode"] != "VND",
        "vnp_CreateDate phải có dạng yyyyMMddHHmmss": not _is_date(params["vnp_CreateDate"]),
        "vnp_ExpireDate phải có dạng yyyyMMddHHmmss": bool(params.get("vnp_ExpireDate"))
        and not _is_date(params["vnp_ExpireDate"]),
        "vnp_TxnRef dài tối đa 100 ký tự": len(params["vnp_TxnRef"]) > 100,
        "vnp_Locale phải là vn hoặc en": params["vnp_Locale"] not in ("vn", "en"),
        "vnp_ReturnUrl phải là địa chỉ http(s)": urlsplit(params["vnp_ReturnUrl"]).scheme not in ("http", "https"),
    }
    found = [message for message, is_wrong in problems.items() if is_wrong]
    return "; ".join(found) or None


def _pay_error(code: str, detail: str = "") -> tuple[str, int]:
    return render_template("gateway/error.html", code=code, message=PAY_ERROR_MESSAGES[code], detail=detail), 400


def pay():
    """VNPay's payment URL: check the request as the real gateway does, then show the tester's choices."""
    params = request.args.to_dict()
    merchant = _merchant(params.get("vnp_TmnCode"))
    if merchant is None:
        return _pay_error(PAY_ERROR_MERCHANT)
    if not vnpay.verify_query(params, merchant.hash_secret):
        return _pay_error(PAY_ERROR_SIGNATURE)
    problem = _format_problem(params)
    if problem:
        return _pay_error(PAY_ERROR_FORMAT, problem)
    signed = {name: value for name, value in params.items() if name.startswith("vnp_") and value}
    try:
        transaction = _store().open_transaction(signed, secrets.token_urlsafe(16))
    except TxnRefTaken:
        return _pay_error(PAY_ERROR_FORMAT, "vnp_TxnRef này đã được thanh toán hoặc hủy; hãy dùng mã mới.")
    return render_template(
        "gateway/pay.html",
        transaction=transaction,
        params=params,
        outcomes=OUTCOMES,
        max_delay=MAX_DELAY_SECONDS,
        max_repeat=MAX_REPEAT,
    )


def _bounded_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.form.get(name, "").strip() or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        abort(400, f"{name} phải từ {low} đến {high}")
    return int(raw)


def _result_params(transaction: dict[str, Any], transaction_no: str, outcome: Outcome) -> dict[str, str]:
    """The params VNPay sends back, on the Return URL and in the IPN alike (payments.md §3)."""
    asked = json.loads(transaction["request_json"])
    bank_code = asked.get("vnp_BankCode") or ("NCB" if outcome.is_numbered else "VNPAY")
    result = {
        "vnp_Amount": str(transaction["amount"]),
        "vnp_BankCode": bank_code,
        "vnp_OrderInfo": transaction["order_info"],
        "vnp_PayDate": vnpay.vnp_date(datetime.now(UTC)),
        "vnp_ResponseCode": outcome.response_code,
        "vnp_TmnCode": transaction["tmn_code"],
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionStatus": outcome.transaction_status,
        "vnp_TxnRef": transaction["txn_ref"],
    }
    if outcome.is_numbered:
        result["vnp_BankTranNo"] = f"VNP{transaction_no}"
        result["vnp_CardType"] = "QRCODE" if bank_code == "VNPAYQR" else "ATM"
    return {name: str(value) for name, value in result.items()}


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def confirm():
    """Apply the tester's outcome: send the IPN as asked, then redirect the browser to the Return URL."""
    outcome = OUTCOMES.get(request.form.get("outcome", ""))
    if outcome is None:
        abort(400, "Chọn một kết quả")
    plan = IpnPlan(
        delay=_bounded_int("ipn_delay", 0, 0, MAX_DELAY_SECONDS),
        repeat=_bounded_int("ipn_repeat", 1, 1, MAX_REPEAT),
        retries=int(current_app.config["GATEWAY_IPN_RETRIES"]),
        retry_interval=float(current_app.config["GATEWAY_IPN_RETRY_INTERVAL"]),
        timeout=float(current_app.config["GATEWAY_IPN_TIMEOUT"]),
    )
    store = _store()
    token = request.form.get("token", "")
    transaction = store.transaction_by_token(token)
    if transaction is None:
        abort(404)
    result = store.complete(token, outcome.is_numbered, lambda row, number: _result_params(row, number, outcome))
    if result is None:
        abort(409, "Giao dịch này đã có kết quả")
    merchant = _merchant(transaction["tmn_code"])
    query = vnpay.signed_query(result, merchant.hash_secret)
    if not request.form.get("ipn_off"):
        start_ipns(store, transaction["id"], _with_query(merchant.ipn_url, query), plan)
    return redirect(_with_query(transaction["return_url"], query))


# --- querydr and refund ----------------------------------------------------------------------------


def _api_answer(command: str, code: ApiResponseCode, merchant: Merchant | None, **fields: object) -> dict:
    body: dict[str, object] = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": command,
        "vnp_ResponseCode": code.value,
        "vnp_Message": vnpay.API_MESSAGES[code],
        **{name: value for name, value in fields.items() if value is not None},
    }
    if merchant is not None:
        body.setdefault("vnp_TmnCode", merchant.tmn_code)
        order = vnpay.REFUND_RESPONSE_FIELDS if command == "refund" else vnpay.QUERYDR_RESPONSE_FIELDS
        body["vnp_SecureHash"] = vnpay.sign_api(vnpay.api_values(body, order), merchant.hash_secret)
    return body


def _api_request(body: Mapping[str, object], command: str) -> dict[str, str] | None:
    """The request's fields as the protocol's text, numeric ones given as strings or numbers; None when badly formed."""
    fields = vnpay.QUERYDR_REQUEST_FIELDS if command == "querydr" else vnpay.REFUND_REQUEST_FIELDS
    asked: dict[str, str] = {}
    # querydr may name VNPay's transaction number too, though it is not signed.
    for name in dict.fromkeys((*fields, "vnp_TransactionNo")):
        value = body.get(name)
        if value is None or value == "":
            asked[name] = ""
            continue
        text = vnpay.api_number_text(value) if name in vnpay.NUMERIC_FIELDS else value
        if not isinstance(text, str):
            return None
        asked[name] = text
    is_bad = (
        not REQUEST_ID.fullmatch(asked["vnp_RequestId"])
        or asked["vnp_Version"] != vnpay.VERSION
        or not asked["vnp_TxnRef"]
        or not _is_date(asked["vnp_TransactionDate"])
        or not _is_date(asked["vnp_CreateDate"])
        or not asked["vnp_IpAddr"]
        or not asked["vnp_OrderInfo"]
    )
    if command == "refund":
        is_bad = (
            is_bad
            or asked["vnp_TransactionType"] not in (TransactionType.FULL_REFUND, TransactionType.PARTIAL_REFUND)
            or not DIGITS.fullmatch(asked["vnp_Amount"])
            or not asked["vnp_CreateBy"]
        )
    return None if is_bad else asked


def _querydr_fields(transaction: dict[str, Any]) -> dict[str, object]:
    refunds = _store().refunds_of(transaction["id"])
    # After a refund, querydr reports the latest refund's type and 05 (refund processing); the mock does
    # not play the bank's later move to 06.
    status = TransactionStatus.REFUND_PROCESSING if refunds else transaction["transaction_status"]
    kind = refunds[-1]["transaction_type"] if refunds else TransactionType.PAYMENT
    return {
        "vnp_TmnCode": transaction["tmn_code"],
        "vnp_TxnRef": transaction["txn_ref"],
        "vnp_Amount": str(transaction["amount"]),
        "vnp_OrderInfo": transaction["order_info"],
        "vnp_BankCode": transaction["bank_code"] or "",
        "vnp_PayDate": transaction["pay_date"] or "",
        "vnp_TransactionNo": transaction["transaction_no"] or "",
        "vnp_TransactionType": str(kind),
        "vnp_TransactionStatus": str(status),
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
    }


def transaction_api():
    """VNPay's JSON API: `querydr` reads a payment's state, `refund` refunds it fully or in part."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _api_answer("", ApiResponseCode.INVALID_FORMAT, None)
    command = str(body.get("vnp_Command", ""))
    merchant = _merchant(body.get("vnp_TmnCode"))
    if command not in ("querydr", "refund"):
        return _api_answer(command, ApiResponseCode.INVALID_FORMAT, merchant)
    if merchant is None:
        return _api_answer(command, ApiResponseCode.INVALID_MERCHANT, None)
    fields = vnpay.QUERYDR_REQUEST_FIELDS if command == "querydr" else vnpay.REFUND_REQUEST_FIELDS
    if not vnpay.verify_api(body, fields, merchant.hash_secret):
        return _api_answer(command, ApiResponseCode.INVALID_CHECKSUM, merchant)
    asked = _api_request(body, command)
    if asked is None:
        return _api_answer(command, ApiResponseCode.INVALID_FORMAT, merchant)
    store = _store()
    today = vnpay.vnp_date(datetime.now(UTC))[:8]
    if not store.remember_request_id(merchant.tmn_code, asked["vnp_RequestId"], today):
        return _api_answer(command, ApiResponseCode.DUPLICATE_REQUEST, merchant)
    transaction = store.find_transaction(merchant.tmn_code, asked["vnp_TxnRef"], asked["vnp_TransactionDate"])
    asked_no = asked.get("vnp_TransactionNo", "")
    if transaction is None or (asked_no not in ("", "0") and asked_no != transaction["transaction_no"]):
        return _api_answer(command, ApiResponseCode.NOT_FOUND, merchant, vnp_TxnRef=asked["vnp_TxnRef"])
    if command == "querydr":
        return _api_answer(command, ApiResponseCode.SUCCESS, merchant, **_querydr_fields(transaction))
    if transaction["response_code"] != ResponseCode.SUCCESS:
        return _api_answer(command, ApiResponseCode.NOT_SUCCESSFUL, merchant, vnp_TxnRef=transaction["txn_ref"])
    code, refund = store.refund(
        transaction["id"],
        asked["vnp_RequestId"],
        asked["vnp_TransactionType"],
        int(asked["vnp_Amount"]),
        asked["vnp_CreateBy"],
    )
    if refund is None:
        return _api_answer(command, code, merchant, vnp_TxnRef=transaction["txn_ref"])
    return _api_answer(
        command,
        code,
        merchant,
        vnp_TxnRef=transaction["txn_ref"],
        vnp_Amount=str(refund["amount"]),
        vnp_BankCode=transaction["bank_code"] or "",
        vnp_PayDate=vnpay.vnp_date(datetime.now(UTC)),
        vnp_TransactionNo=refund["transaction_no"],
        vnp_TransactionType=refund["transaction_type"],
        vnp_TransactionStatus=TransactionStatus.REFUND_PROCESSING.value,
        vnp_OrderInfo=asked["vnp_OrderInfo"],
    )


# --- tester pages ----------------------------------------------------------------------------------


def transactions():
    """Every transaction, IPN attempt and refund, newest first, for a tester to read."""
    return render_template("gateway/transactions.html", **_store().listing())


def healthz():
    try:
        _store().ping()
    except Exception:
        current_app.logger.exception("health check: gateway database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
