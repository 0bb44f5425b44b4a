"""The brand-name SMS HTTP API spoken between the portal and its provider (the mock in onestop/sms_gateway).

The only module the portal and the mock gateway share; stdlib only. The full description, with examples,
is in docs/operations.md ("SMS"). In short:

- The client sends `POST <SMS_API_URL>` with a JSON body `{"brandname", "phone", "message",
  "client_message_id"}`: the phone in international form without the plus (`84912345678`), the
  client's own message id (the portal sends `outbox-<row id>`) on which the provider is idempotent.
- Every request, both ways, carries three headers: `X-Sms-Account` (the API key id), `X-Sms-Timestamp`
  (Unix seconds) and `X-Sms-Signature`, the lowercase hex HMAC-SHA256, keyed with the account's secret,
  of `<account>\\n<timestamp>\\n<raw body bytes>`. A receiver refuses a signature that does not match
  and a timestamp more than MAX_CLOCK_SKEW seconds away from its own clock.
- The answer is JSON `{"code", "message", ...}`: code "00" carries `message_id` (the provider's id),
  `segments`, `encoding` and `duplicate` (true when the client message id was seen before, in which case
  nothing was sent again).
- Afterwards the provider POSTs a delivery report, signed the same way with the same account's secret,
  to the callback URL registered for the account: `{"message_id", "client_message_id", "phone",
  "status": "DELIVERED" | "FAILED", "error_code", "done_at"}`. The client answers 2xx once it has the
  report (or already had it); anything else makes the provider try again later.
"""

import hashlib
import hmac
import math
import time
from collections.abc import Mapping

SEND_PATH = "/api/v1/sms/send"
ACCOUNT_HEADER = "X-Sms-Account"
TIMESTAMP_HEADER = "X-Sms-Timestamp"
SIGNATURE_HEADER = "X-Sms-Signature"
MAX_CLOCK_SKEW = 300  # seconds, both ways

# Answer codes of the API (HTTP status in brackets).
OK = "00"  # accepted (200)
BAD_SIGNATURE = "10"  # unknown account or a signature that does not match (401)
STALE_TIMESTAMP = "11"  # timestamp missing or too far from the provider's clock (401)
BAD_REQUEST = "20"  # not JSON, or a field missing or of the wrong type (400)
BAD_PHONE = "21"  # not a Vietnamese mobile number in the form 84xxxxxxxxx (400)
UNKNOWN_BRANDNAME = "22"  # the brand name is not registered for this account (400)
TOO_LONG = "23"  # more than MAX_SEGMENTS segments (400)
ID_REUSED = "24"  # the client message id was already used for another phone or text (409)
UNKNOWN_MESSAGE = "30"  # a delivery report for a message id the client does not know (404)

DELIVERED = "DELIVERED"
FAILED = "FAILED"

DEMO_ACCOUNT = "ONESTOPSMS"
DEMO_SECRET = "ONESTOP-SMS-DEMO-SECRET-NOT-FOR-PRODUCTION"
DEMO_BRANDNAME = "DICHVUCONG"

MAX_SEGMENTS = 10

# The GSM 03.38 default alphabet (one septet each) and its extension table (two septets: escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def sign(secret: str, account: str, timestamp: str, body: bytes) -> str:
    message = account.encode() + b"\n" + timestamp.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(account: str, secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The three headers that sign `body` as sent by `account`."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json; charset=utf-8",
        ACCOUNT_HEADER: account,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, account, timestamp, body),
    }


def check_signature(headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> str | None:
    """Which answer code refuses this request (BAD_SIGNATURE or STALE_TIMESTAMP), or None when it is genuine.

    The signature is compared first, so that a forger learns nothing about the clock."""
    account = headers.get(ACCOUNT_HEADER, "")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    expected = sign(secret, account, timestamp, body)
    if not hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, "")):
        return BAD_SIGNATURE
    if not timestamp.isascii() or not timestamp.isdigit():
        return STALE_TIMESTAMP
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_CLOCK_SKEW:
        return STALE_TIMESTAMP
    return None


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def encoding_of(text: str) -> str:
    """ "GSM-7" when every character is in the GSM alphabet, else "UCS-2" (Vietnamese with diacritics)."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def segment_count(text: str) -> int:
    """How many SMS segments the text takes: GSM-7 160 alone or 153 per part, UCS-2 70 alone or 67 per part."""
    if is_gsm7(text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part = 160, 153
    else:
        # UCS-2 on the air is UTF-16: a character beyond the basic plane (an emoji) takes two units.
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / part)
