"""The verified phone-or-e-mail question: the contact counts only once the one-time code sent to it is typed back.

A page without JavaScript does it in two posts: the first, with the contact alone, sends a code through the
outbox and asks for it; the second carries the code. Codes are single use, expire, allow a few wrong tries,
and are rate limited per question of a response and per contact, so the form cannot be used to flood a phone.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from onestop.accounts.services import normalise_phone
from onestop.extensions import db
from onestop.handoff import keep_despite_refusal
from onestop.models import utcnow
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.surveys.models import SurveyContactCode, SurveyQuestion, SurveyResponse
from onestop.surveys.rules import Value

CODE_LIFETIME = timedelta(minutes=10)
MAX_TRIES = 5
# Codes sent per question of one response, and to one contact from any response, within an hour.
MAX_SENDS_PER_QUESTION = 3
MAX_SENDS_PER_CONTACT = 5
RESEND_AFTER = timedelta(seconds=60)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^0\d{9}$")


def read_contact(typed: str) -> tuple[Channel, str] | None:
    """The channel and the normalised contact (lower-case e-mail, 10-digit phone), or None if it is neither."""
    typed = typed.strip()
    if "@" in typed:
        return (Channel.EMAIL, typed.lower()) if len(typed) <= 200 and _EMAIL.match(typed) else None
    phone = normalise_phone(typed)
    return (Channel.SMS, phone) if _PHONE.match(phone) else None


def _codes(response: SurveyResponse, question: SurveyQuestion, contact: str):
    return select(SurveyContactCode).where(
        SurveyContactCode.response_id == response.id,
        SurveyContactCode.question_id == question.id,
        SurveyContactCode.contact == contact,
    )


def check_contact(
    response: SurveyResponse, question: SurveyQuestion, typed: str, code: str, may_send: bool
) -> tuple[list[Value], str | None]:
    """The answer to store (the verified contact), or the message that keeps the page: a code was sent, or is wrong."""
    typed, code = (typed or "").strip(), (code or "").strip()
    if not typed:
        return [], None
    read = read_contact(typed)
    if read is None:
        return [], _("Enter a mobile phone number (10 digits) or an e-mail address.")
    channel, contact = read
    if db.session.scalar(_codes(response, question, contact).where(SurveyContactCode.verified_at.is_not(None))):
        return [Value(text=contact)], None
    if not may_send:  # going back: an unverified contact is simply not kept
        return [], None
    moment = utcnow()
    pending = db.session.scalar(
        _codes(response, question, contact)
        .where(SurveyContactCode.verified_at.is_(None), SurveyContactCode.expires_at > moment)
        .order_by(SurveyContactCode.sent_at.desc())
        .limit(1)
    )
    keep_despite_refusal()  # a code sent, or a wrong try counted, stands although the page is refused
    if code:
        if pending is None or pending.attempts >= MAX_TRIES:
            return [], _("This code has expired. Leave the code box empty and send the page again for a new one.")
        if check_password_hash(pending.code_hash, code):
            pending.verified_at = moment
            pending.code_hash = ""  # single use: nothing left to match
            return [Value(text=contact)], None
        pending.attempts += 1
        return [], _("This code is not right. Check the message we sent to %(contact)s.", contact=contact)
    if pending is not None and moment - pending.sent_at < RESEND_AFTER:
        return [], _("We sent a code to %(contact)s. Type it in the code box and send the page again.", contact=contact)
    hour_ago = moment - timedelta(hours=1)
    per_question = db.session.scalar(
        select(func.count()).where(
            SurveyContactCode.response_id == response.id,
            SurveyContactCode.question_id == question.id,
            SurveyContactCode.sent_at > hour_ago,
        )
    )
    per_contact = db.session.scalar(
        select(func.count()).where(SurveyContactCode.contact == contact, SurveyContactCode.sent_at > hour_ago)
    )
    if per_question >= MAX_SENDS_PER_QUESTION or per_contact >= MAX_SENDS_PER_CONTACT:
        return [], _("Too many codes were sent. Please try again in an hour.")
    secret = f"{secrets.randbelow(1_000_000):06d}"
    db.session.add(
        SurveyContactCode(
            response_id=response.id,
            question_id=question.id,
            contact=contact,
            code_hash=generate_password_hash(secret),
            sent_at=moment,
            expires_at=moment + CODE_LIFETIME,
        )
    )
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    queue_message(
        channel,
        contact,
        body=_(
            "Your code to confirm your answer is %(code)s. It is valid for %(minutes)s minutes.",
            code=secret,
            minutes=minutes,
        ),
        subject=_("Your confirmation code") if channel == Channel.EMAIL else "",
        event="survey_contact_code",
    )
    db.session.flush()
    return [], _("We sent a code to %(contact)s. Type it in the code box and send the page again.", contact=contact)
