"""The contract every payment gateway fits: a pay URL, a verified notification, a status query, a refund.

Swapping gateways is one class implementing `PaymentProvider` plus configuration (PAYMENT_PROVIDER and
the gateway's settings); the services above never see a gateway's field names. Amounts cross this
boundary as whole đồng; each provider converts to its own wire form.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class NotificationProblem(StrEnum):
    """Why a notification cannot be acted on, before looking at our own records."""

    FORGED = "forged"  # the signature does not match
    WRONG_MERCHANT = "wrong_merchant"  # signed for another merchant code
    MALFORMED = "malformed"  # fields missing or not of the protocol's form


class IpnAnswer(StrEnum):
    """What the merchant tells the gateway about a notification; providers map these to their codes."""

    CONFIRMED = "confirmed"
    ORDER_NOT_FOUND = "order_not_found"
    ALREADY_CONFIRMED = "already_confirmed"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_SIGNATURE = "invalid_signature"
    UNKNOWN_ERROR = "unknown_error"


@dataclass(frozen=True)
class PaymentResult:
    """A gateway's verified word on one payment (from a notification or a status query)."""

    reference: str  # our attempt's reference (vnp_TxnRef)
    amount: int  # whole đồng
    is_success: bool
    is_final: bool  # False while the gateway itself does not know yet (payer still on its page)
    response_code: str
    transaction_no: str = ""
    bank_code: str = ""
    is_refunded: bool = False  # the gateway reports a refund of it (status queries only)
    raw: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    is_done: bool
    code: str
    transaction_no: str = ""
    message: str = ""


class GatewayUnavailable(Exception):
    """The gateway did not answer, or answered with something that is not its protocol."""


class PaymentProvider(Protocol):
    name: str

    def payment_url(
        self, reference: str, amount: int, description: str, return_url: str, client_ip: str, locale: str, created: str
    ) -> str:
        """Where to send the payer's browser; `created` is the attempt's gateway timestamp."""
        ...

    def gateway_timestamp(self) -> str:
        """A timestamp in the gateway's own form for a new attempt (kept: queries and refunds name it)."""
        ...

    def read_notification(self, params: Mapping[str, str]) -> PaymentResult | NotificationProblem:
        """Verify a notification (IPN) or a return to the browser and read it; never trusts unsigned data."""
        ...

    def answer(self, answer: IpnAnswer) -> tuple[dict, int]:
        """The body and HTTP status the gateway expects back for a notification."""
        ...

    def query(self, reference: str, created: str, client_ip: str) -> PaymentResult | None:
        """The gateway's current record of a payment (None: it has none); raises GatewayUnavailable."""
        ...

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
        """Ask the gateway to refund `amount` đồng of a payment; raises GatewayUnavailable."""
        ...
