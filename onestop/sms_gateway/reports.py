"""Sending a delivery report: a signed server-to-server POST to the account's callback URL, retried.

It runs in a background thread, so the API answers at once and the report comes later, as with a real
provider (where it waits for the handset). urllib keeps the gateway free of the `requests` package.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from onestop.notifications import sms_protocol
from onestop.sms_gateway.store import SmsStore

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 4096


@dataclass(frozen=True)
class ReportPlan:
    """Where and how the gateway reports: the account, its callback, the wait and the retry policy."""

    account: str
    secret: str
    url: str
    delay: float = 2
    retries: int = 4
    retry_interval: float = 5
    timeout: float = 10


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**headers, "User-Agent": "onestop-mock-sms/1.0"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer = response.status, response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read(MAX_ANSWER_BYTES)
    except (urllib.error.URLError, OSError) as error:
        return {"error": str(getattr(error, "reason", error))}
    return {"http_status": status, "answer": answer.decode("utf-8", "replace").strip()}


def send_report(store: SmsStore, message: dict[str, Any], status: str, plan: ReportPlan) -> None:
    """Wait for the "handset", record the outcome, then POST the report until the client answers 2xx."""
    time.sleep(plan.delay)
    done_at = store.finish(message["id"], status)
    report = {
        "message_id": message["message_id"],
        "client_message_id": message["client_message_id"],
        "phone": message["phone"],
        "status": status,
        "error_code": "" if status == sms_protocol.DELIVERED else "UNREACHABLE",
        "done_at": done_at,
    }
    body = json.dumps(report, ensure_ascii=False).encode()
    for attempt in range(1, plan.retries + 2):
        # Signed afresh on each attempt, so that a late retry is not refused as stale.
        headers = sms_protocol.signed_headers(plan.account, plan.secret, body)
        outcome = _post(plan.url, body, headers, plan.timeout)
        store.record_report_attempt(message["id"], attempt, plan.url, **outcome)
        if 200 <= (outcome.get("http_status") or 0) < 300:
            store.set_report_state(message["id"], "acknowledged")
            return
        log.warning("report %s/%s to %s not acknowledged: %s", message["message_id"], attempt, plan.url, outcome)
        if attempt <= plan.retries:
            time.sleep(plan.retry_interval)
    store.set_report_state(message["id"], "gave_up")


def start_report(store: SmsStore, message: dict[str, Any], status: str, plan: ReportPlan) -> threading.Thread:
    """Send the report in a daemon thread; the thread is returned so a caller may wait for it."""
    thread = threading.Thread(
        target=send_report, args=(store, message, status, plan), name=f"sms-report-{message['id']}", daemon=True
    )
    thread.start()
    return thread
