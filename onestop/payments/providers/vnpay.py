"""The VNPay 2.1.0 provider: the real VNPay, or the mock gateway, by changing only host, code and secret.

The wire format lives in onestop.payments.vnpay (shared with the mock gateway); this class turns it
into the provider contract. urllib keeps the portal free of an HTTP client dependency.
"""

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime

from onestop.inputs import whole_number
from onestop.payments import vnpay
from onestop.payments.providers.base import (
    GatewayUnavailable,
    IpnAnswer,
    NotificationProblem,
    PaymentResult,
    RefundResult,
)
from onestop.payments.vnpay import ApiResponseCode, IpnRspCode, ResponseCode, TransactionStatus, TransactionType

IPN_CODES = {
    IpnAnswer.CONFIRMED: IpnRspCode.CONFIRM_SUCCESS,
    IpnAnswer.ORDER_NOT_FOUND: IpnRspCode.ORDER_NOT_FOUND,
    IpnAnswer.ALREADY_CONFIRMED: IpnRspCode.ALREADY_CONFIRMED,
    IpnAnswer.INVALID_AMOUNT: IpnRspCode.INVALID_AMOUNT,
    IpnAnswer.INVALID_SIGNATURE: IpnRspCode.INVALID_SIGNATURE,
    IpnAnswer.UNKNOWN_ERROR: IpnRspCode.UNKNOWN_ERROR,
}
# querydr statuses that mean the payment itself went through (a refund may have followed it).
PAID_STATUSES = frozenset(
    {
        TransactionStatus.SUCCESS,
        TransactionStatus.REFUND_PROCESSING,
        TransactionStatus.REFUND_SENT_TO_BANK,
        TransactionStatus.REFUND_REJECTED,
    }
)
REFUND_STATUSES = frozenset({TransactionStatus.REFUND_PROCESSING, TransactionStatus.REFUND_SENT_TO_BANK})


# vnp_Amount has at most 18 digits (VND × 100), which the ledger's BIGINT columns hold.
AMOUNT_MAX = 10**18 - 1


def _whole_dong(amount_x100: object) -> int | None:
    """vnp_Amount (VND × 100, digits in a string or a JSON number) as whole đồng, or None when it is not one."""
    text = vnpay.api_number_text(amount_x100)
    try:
        amount = whole_number(text or "", AMOUNT_MAX)
    except ValueError:
        return None
    return amount // 100 if amount % 100 == 0 else None


class VnpayProvider:
    name = "vnpay"

    def __init__(self, tmn_code: str, hash_secret: str, pay_url: str, api_url: str, timeout: float = 15) -> None:
        self.tmn_code = tmn_code
        self.hash_secret = hash_secret
        self.pay_url = pay_url
        self.api_url = api_url
        self.timeout = timeout

    def gateway_timestamp(self) -> str:
        return vnpay.vnp_date(datetime.now(UTC))

    def payment_url(
        self, reference: str, amount: int, description: str, return_url: str, client_ip: str, locale: str, created: str
    ) -> str:
        params = {
            "vnp_Version": vnpay.VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": reference,
            "vnp_OrderInfo": description,
            "vnp_OrderType": "other",
            "vnp_Locale": "en" if locale == "en" else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": created,
        }
        return f"{self.pay_url}?{vnpay.signed_query(params, self.hash_secret)}"

    def read_notification(self, params: Mapping[str, str]) -> PaymentResult | NotificationProblem:
        if not vnpay.verify_query(params, self.hash_secret):
            return NotificationProblem.FORGED
        if params.get("vnp_TmnCode") != self.tmn_code:
            return NotificationProblem.WRONG_MERCHANT
        amount = _whole_dong(params.get("vnp_Amount"))
        if amount is None or not params.get("vnp_TxnRef") or not params.get("vnp_ResponseCode"):
            return NotificationProblem.MALFORMED
        code = params["vnp_ResponseCode"]
        return PaymentResult(
            reference=params["vnp_TxnRef"],
            amount=amount,
            is_success=code == ResponseCode.SUCCESS
            and params.get("vnp_TransactionStatus") == TransactionStatus.SUCCESS,
            is_final=True,
            response_code=code,
            transaction_no=params.get("vnp_TransactionNo", ""),
            bank_code=params.get("vnp_BankCode", ""),
            raw=dict(params),
        )

    def answer(self, answer: IpnAnswer) -> tuple[dict, int]:
        code = IPN_CODES[answer]
        # VNPay reads the JSON body of an HTTP 200; any other status counts as "not delivered" and is retried.
        return {"RspCode": code.value, "Message": vnpay.IPN_MESSAGES[code]}, 200

    def _call(self, payload: dict, fields: tuple[str, ...], response_fields: tuple[str, ...]) -> dict:
        payload["vnp_SecureHash"] = vnpay.sign_api(vnpay.api_values(payload, fields), self.hash_secret)
        request = urllib.request.Request(
            self.api_url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "onestop/vnpay-2.1.0"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read(64 * 1024))
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise GatewayUnavailable(f"{payload['vnp_Command']}: {error}") from error
        if not isinstance(body, dict):
            raise GatewayUnavailable(f"{payload['vnp_Command']}: not a JSON object")
        # An answer about our transaction must be signed; format and merchant errors may come unsigned.
        if body.get("vnp_ResponseCode") == ApiResponseCode.SUCCESS and not vnpay.verify_api(
            body, response_fields, self.hash_secret
        ):
            raise GatewayUnavailable(f"{payload['vnp_Command']}: the answer's signature does not match")
        return body

    def _base(self, command: str, reference: str, created: str, client_ip: str, info: str) -> dict:
        return {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": vnpay.VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": reference,
            "vnp_TransactionDate": created,
            "vnp_CreateDate": self.gateway_timestamp(),
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_OrderInfo": info,
        }

    def query(self, reference: str, created: str, client_ip: str) -> PaymentResult | None:
        payload = self._base("querydr", reference, created, client_ip, f"Truy van giao dich {reference}")
        body = self._call(payload, vnpay.QUERYDR_REQUEST_FIELDS, vnpay.QUERYDR_RESPONSE_FIELDS)
        code = body.get("vnp_ResponseCode")
        if code == ApiResponseCode.NOT_FOUND:
            return None
        if code != ApiResponseCode.SUCCESS:
            raise GatewayUnavailable(f"querydr {reference}: {code} {body.get('vnp_Message', '')}")
        amount = _whole_dong(body.get("vnp_Amount"))
        if amount is None or body.get("vnp_TxnRef") != reference:
            raise GatewayUnavailable(f"querydr {reference}: the answer is about another payment")
        status = str(body.get("vnp_TransactionStatus", ""))
        return PaymentResult(
            reference=reference,
            amount=amount,
            is_success=status in PAID_STATUSES,
            is_final=status != TransactionStatus.NOT_COMPLETED,
            response_code=status,
            transaction_no=str(body.get("vnp_TransactionNo") or ""),
            bank_code=str(body.get("vnp_BankCode") or ""),
            is_refunded=status in REFUND_STATUSES,
            raw=body,
        )

    def refund(
        self,
        reference: str,
        created: str,
        transaction_no: str,
        amount: int,
        is_full: bool,
        request_id: str,
        requested_by: str,
    ) -> RefundResult:
        payload = {
            **self._base("refund", reference, created, "127.0.0.1", f"Hoan phi {reference}"),
            "vnp_RequestId": request_id,
            "vnp_TransactionType": (TransactionType.FULL_REFUND if is_full else TransactionType.PARTIAL_REFUND).value,
            "vnp_Amount": str(amount * 100),
            "vnp_TransactionNo": transaction_no,
            "vnp_CreateBy": requested_by,
        }
        body = self._call(payload, vnpay.REFUND_REQUEST_FIELDS, vnpay.REFUND_RESPONSE_FIELDS)
        code = str(body.get("vnp_ResponseCode", ""))
        return RefundResult(
            is_done=code == ApiResponseCode.SUCCESS,
            code=code,
            transaction_no=str(body.get("vnp_TransactionNo") or ""),
            message=str(body.get("vnp_Message") or ""),
        )
