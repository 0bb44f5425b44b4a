"""Delivery reports from the SMS provider: `POST /notifications/sms/delivery-report` (sms_protocol.py).

The provider tells us, some time after it accepted a message, whether the handset got it. A report is
believed only with a valid signature from our account and a fresh timestamp (forged or stale: 403,
nothing changed). It moves the outbox row found by the provider's message id to delivered or undelivered
once: the first final report wins, and a replay is answered 200 without changing anything, so the
provider stops retrying. An id we never got back from the provider is answered 404 (the provider retries:
its report can overtake the worker that records the id).
"""

import enum
import json

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select, update

from onestop.extensions import csrf, db, limiter
from onestop.models import utcnow
from onestop.notifications import sms_protocol
from onestop.notifications.models import DeliveryState, OutboxMessage

bp = Blueprint("sms_reports", __name__)

REPORT_PATH = "/notifications/sms/delivery-report"
_FINAL_STATES = (DeliveryState.DELIVERED, DeliveryState.UNDELIVERED)
_STATE_OF_STATUS = {sms_protocol.DELIVERED: DeliveryState.DELIVERED, sms_protocol.FAILED: DeliveryState.UNDELIVERED}
MAX_REPORT_BYTES = 8192


class ReportOutcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY_KNOWN = "already_known"
    UNKNOWN_MESSAGE = "unknown_message"


def record_delivery_report(provider_message_id: str, state: DeliveryState) -> ReportOutcome:
    """Set the row's final delivery state once; a conditional UPDATE, so two reports at once cannot both win."""
    moved = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.provider_message_id == provider_message_id, OutboxMessage.state.not_in(_FINAL_STATES))
        .values(state=state, delivered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount:
        return ReportOutcome.RECORDED
    exists = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.provider_message_id == provider_message_id).limit(1)
    )
    return ReportOutcome.ALREADY_KNOWN if exists else ReportOutcome.UNKNOWN_MESSAGE


def _refused(code: str, message: str, status: int):
    return jsonify(code=code, message=message), status


@bp.post(REPORT_PATH)
@limiter.exempt
@csrf.exempt
def delivery_report():
    raw = request.get_data(cache=False)
    if len(raw) > MAX_REPORT_BYTES:
        return _refused(sms_protocol.BAD_REQUEST, "report too large", 400)
    config = current_app.config
    if request.headers.get(sms_protocol.ACCOUNT_HEADER) != config["SMS_ACCOUNT"]:
        return _refused(sms_protocol.BAD_SIGNATURE, "unknown account or wrong signature", 403)
    refusal = sms_protocol.check_signature(request.headers, raw, config["SMS_SECRET"])
    if refusal:
        current_app.logger.warning("SMS delivery report refused (%s) from %s", refusal, request.remote_addr)
        return _refused(refusal, "unknown account, wrong signature or stale timestamp", 403)
    try:
        report = json.loads(raw)
    except ValueError:
        report = None
    message_id = report.get("message_id") if isinstance(report, dict) else None
    state = _STATE_OF_STATUS.get(report.get("status")) if isinstance(report, dict) else None
    if not isinstance(message_id, str) or not message_id or state is None:
        return _refused(sms_protocol.BAD_REQUEST, "report needs message_id and status DELIVERED or FAILED", 400)
    outcome = record_delivery_report(message_id, state)
    if outcome == ReportOutcome.UNKNOWN_MESSAGE:
        return _refused(sms_protocol.UNKNOWN_MESSAGE, "unknown message_id", 404)
    return jsonify(code=sms_protocol.OK, message=outcome.value)
