"""Sending the IPN: a server-to-server GET to the merchant, delayed, repeated and retried on request.

It runs in a background thread, so the payer's browser is redirected at once, as with the real
gateway, and an IPN can arrive before or after the Return URL. urllib keeps the gateway free of the
`requests` package, which only the test tools install.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from onestop.payments.gateway.store import GatewayStore
from onestop.payments.vnpay import IPN_ACKNOWLEDGED

log = logging.getLogger(__name__)

MAX_DELAY_SECONDS = 120
MAX_REPEAT = 20
# Enough of the merchant's answer to show on the tester page; an IPN answer is a small JSON object.
MAX_ANSWER_BYTES = 4096


@dataclass(frozen=True)
class IpnPlan:
    """How the tester asked the IPN to be sent, and the gateway's retry policy."""

    delay: float = 0
    repeat: int = 1
    retries: int = 3
    retry_interval: float = 5
    timeout: float = 10


def _call(url: str, timeout: float) -> dict[str, object]:
    request = urllib.request.Request(url, headers={"User-Agent": "onestop-mock-vnpay/2.1.0"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(MAX_ANSWER_BYTES)
    except (urllib.error.URLError, OSError) as error:
        return {"error": str(getattr(error, "reason", error))}
    answer = body.decode("utf-8", "replace")
    try:
        rsp_code = json.loads(answer).get("RspCode")
    except (ValueError, AttributeError):
        rsp_code = None
    return {"http_status": status, "answer": answer, "rsp_code": None if rsp_code is None else str(rsp_code)}


def send_ipns(store: GatewayStore, transaction_id: int, url: str, plan: IpnPlan) -> None:
    """Send `plan.repeat` IPNs; each is retried until the merchant answers RspCode 00 or 02."""
    time.sleep(plan.delay)
    for round_no in range(1, plan.repeat + 1):
        for attempt in range(1, plan.retries + 2):
            outcome = _call(url, plan.timeout)
            store.record_ipn_attempt(transaction_id, round_no, attempt, url, **outcome)
            if outcome.get("rsp_code") in IPN_ACKNOWLEDGED:
                break
            log.warning("IPN %s/%s to %s not acknowledged: %s", round_no, attempt, url, outcome)
            if attempt <= plan.retries:
                time.sleep(plan.retry_interval)


def start_ipns(store: GatewayStore, transaction_id: int, url: str, plan: IpnPlan) -> threading.Thread:
    """Send the IPNs in a daemon thread; the thread is returned so a caller may wait for it."""
    thread = threading.Thread(
        target=send_ipns, args=(store, transaction_id, url, plan), name=f"ipn-{transaction_id}", daemon=True
    )
    thread.start()
    return thread
