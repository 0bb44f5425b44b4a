"""Feedback's rules: who may send, read, forward, answer, mark and publish; routing and deadlines.

Every function takes the actor as a parameter and checks it against the object (an agency's staff
see only their agency's feedback, a citizen only their own, an anonymous sender only what their code
names); refusals are `NotFound` so nobody learns that someone else's feedback exists. Nothing here
commits: the request does, once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.datastore.services import record_blob
from onestop.datastore.uploads import ReceivedFile
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.feedback.models import (
    BODY_LENGTH,
    NOTE_LENGTH,
    TITLE_LENGTH,
    Feedback,
    FeedbackAttachment,
    FeedbackForward,
    FeedbackKind,
    FeedbackState,
)
from onestop.inputs import row_id
from onestop.links import public_link
from onestop.models import utcnow
from onestop.notifications.notify import agency_staff, notify
from onestop.procedures.calendar import ProvinceCalendar
from onestop.procedures.models import Application, Procedure
from onestop.provinces.models import Agency, Province

# Who handles an agency's feedback: everyone working its files. Publishing speaks for the agency.
HANDLERS = (Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN)
PUBLISHERS = (Role.LEADER, Role.AGENCY_ADMIN)
# No 0/O or 1/I: people read codes aloud and type them from paper. 10 of 32 letters: 50 bits.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_SIZE = 10
_NOT_CODE = re.compile(r"[^A-Z0-9]")


def not_found() -> NotFound:
    # The same answer whether the feedback does not exist or the reader may not see it.
    return NotFound(_("There is no such feedback."))


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _n in range(_CODE_SIZE))


def normalised_code(text: str | None) -> str:
    """A code as typed ("abcd-efgh 23") in the stored form, or "" for anything that cannot be one."""
    code = _NOT_CODE.sub("", (text or "").upper())
    return code if len(code) == _CODE_SIZE else ""


def chosen_id(text: str | None) -> int | None:
    """A row id chosen in a form's list, or None for anything that cannot be one (then "choose" is asked)."""
    try:
        return row_id(text)
    except ValueError:
        return None


def deadline(province: Province, moment) -> date:
    """The day an answer is due: the pack's `feedback_days` working days after the day received."""
    return ProvinceCalendar.for_province(province).due_date(moment, province.feedback_days).day


def is_overdue(feedback: Feedback, today: date) -> bool:
    return feedback.state_enum is FeedbackState.OPEN and feedback.due_on < today


# --- what feedback is about ----------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What feedback is about: an application (of the sender), a procedure, or only an agency."""

    application: Application | None = None
    procedure: Procedure | None = None

    @property
    def is_general(self) -> bool:
        return self.application is None and self.procedure is None

    @property
    def may_be_anonymous(self) -> bool:
        # A file has an owner the agency answers on their channels; only general feedback may hide its sender.
        return self.application is None


def subject_for(
    sender: User | None, province: Province, application_id: int | None, procedure_slug: str | None
) -> Subject:
    """The application (the sender's own, else NotFound) or the active procedure feedback is about."""
    if application_id is not None:
        application = db.session.get(Application, application_id)
        if (
            sender is None
            or application is None
            or application.code is None
            or sender.id not in (application.applicant_id, application.submitter_id)
        ):
            raise not_found()
        return Subject(application=application, procedure=application.procedure)
    if procedure_slug:
        procedure = db.session.scalar(
            select(Procedure).where(
                Procedure.province_id == province.id, Procedure.slug == procedure_slug, Procedure.is_active
            )
        )
        if procedure is None:
            raise not_found()
        return Subject(procedure=procedure)
    return Subject()


def agencies_of(province: Province) -> list[Agency]:
    """The agencies a general feedback may be sent to."""
    return list(
        db.session.scalars(
            select(Agency).where(Agency.province_id == province.id, Agency.is_active).order_by(Agency.code)
        )
    )


def responsible_agency(province: Province, subject: Subject, agency_id: int | None) -> Agency:
    """Who answers: the agency holding the file, the one receiving the procedure, or the one chosen."""
    if subject.application is not None:
        return subject.application.receiving_agency
    if subject.procedure is not None:
        if subject.procedure.receiving_agency is not None:
            return subject.procedure.receiving_agency
        agencies = [agency for agency in subject.procedure.agencies if agency.is_active]
        if agencies:
            return agencies[0]
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency is None or agency.province_id != province.id or not agency.is_active:
        raise InvalidInput(_("Choose the agency your feedback is for."))
    return agency


# --- sending ---------------------------------------------------------------------------------------


def send_feedback(
    province: Province,
    sender: User | None,
    subject: Subject,
    *,
    kind: FeedbackKind,
    title: str,
    body: str,
    agency_id: int | None = None,
    anonymous: bool = False,
    attachments: list[ReceivedFile] = (),
) -> Feedback:
    """Record feedback in the responsible agency's queue with its deadline; tell the sender and the agency."""
    if sender is not None and sender.is_staff:
        raise NotAllowed(_("Staff accounts cannot send feedback; sign in with a citizen account."))
    anonymous = anonymous or sender is None
    if anonymous and not subject.may_be_anonymous:
        raise NotAllowed(_("Feedback about an application is sent in your name."))
    title, body = title.strip(), body.strip()
    if not title or not body or len(title) > TITLE_LENGTH or len(body) > BODY_LENGTH:
        raise InvalidInput(_("Give your feedback a subject and write what happened."))
    agency = responsible_agency(province, subject, agency_id)
    now = utcnow()
    feedback = Feedback(
        code=new_code(),
        province_id=province.id,
        kind=kind,
        agency_id=agency.id,
        procedure_id=subject.procedure.id if subject.procedure is not None else None,
        application_id=subject.application.id if subject.application is not None else None,
        author_id=None if anonymous else sender.id,
        title=title,
        body=body,
        state=FeedbackState.OPEN,
        sent_at=now,
        received_at=now,
        due_on=deadline(province, now),
    )
    db.session.add(feedback)
    for received in attachments:
        record_blob(received)
        feedback.attachments.append(
            FeedbackAttachment(
                blob_sha256=received.sha256,
                filename=received.filename[:200],
                content_type=received.content_type,
                size=received.size,
            )
        )
    db.session.flush()
    _tell_sender(feedback, "feedback_received", agency=agency.name, due_on=feedback.due_on)
    _tell_agency(feedback)
    return feedback


def _sender_link(feedback: Feedback) -> str:
    return public_link("feedback.show", code=feedback.code)


def _tell_sender(feedback: Feedback, event: str, **facts) -> None:
    """The sender on their channels; an anonymous sender is told nothing (they look their code up)."""
    if feedback.author is not None:
        notify(
            feedback.author,
            event,
            {"code": feedback.code, "title": feedback.title, "link": _sender_link(feedback), **facts},
        )


def _tell_agency(feedback: Feedback) -> None:
    link = public_link("feedback.office_show", feedback_id=feedback.id)
    facts = {"code": feedback.code, "title": feedback.title, "agency": feedback.agency.name, "due_on": feedback.due_on}
    for officer in agency_staff(feedback.agency_id, HANDLERS):
        notify(officer, "staff_new_feedback", {**facts, "link": link})


# --- reading ---------------------------------------------------------------------------------------


def for_sender(reader: User | None, code: str | None) -> Feedback:
    """Feedback by its code: its author's (signed in), or anonymous feedback for whoever has the code."""
    code = normalised_code(code)
    feedback = db.session.scalar(select(Feedback).where(Feedback.code == code)) if code else None
    if feedback is None:
        raise not_found()
    if feedback.author_id is not None and (
        reader is None or not reader.is_authenticated or reader.id != feedback.author_id
    ):
        raise not_found()
    return feedback


def sent_by(user: User) -> list[Feedback]:
    """What a citizen sent in their name, newest first."""
    return list(db.session.scalars(select(Feedback).where(Feedback.author_id == user.id).order_by(Feedback.id.desc())))


def may_handle(user: User, feedback: Feedback) -> bool:
    return bool(
        user.is_authenticated and user.is_staff and user.role_enum in HANDLERS and user.agency_id == feedback.agency_id
    )


def for_staff(user: User, feedback_id: int) -> Feedback:
    """Feedback in the officer's agency's queue; NotFound for any other."""
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None or not may_handle(user, feedback):
        raise not_found()
    return feedback


def attachment_of(feedback: Feedback, attachment_id: int) -> FeedbackAttachment:
    for attachment in feedback.attachments:
        if attachment.id == attachment_id:
            return attachment
    raise NotFound(_("There is no such file."))


# --- handling --------------------------------------------------------------------------------------


def _check_open(user: User, feedback: Feedback) -> None:
    if not may_handle(user, feedback):
        raise not_found()
    if feedback.state_enum is not FeedbackState.OPEN:
        raise InvalidInput(_("This feedback was answered already."))


def forward(feedback: Feedback, actor: User, to_agency_id: int | None, note: str) -> FeedbackForward:
    """Hand feedback to the agency that should answer it; that agency gets the full time to answer."""
    _check_open(actor, feedback)
    note = note.strip()
    if not note or len(note) > NOTE_LENGTH:
        raise InvalidInput(_("Say why the feedback goes to the other agency."))
    target = db.session.get(Agency, to_agency_id) if to_agency_id else None
    if target is None or target.province_id != feedback.province_id or not target.is_active:
        raise InvalidInput(_("Choose the agency to send the feedback to."))
    if target.id == feedback.agency_id:
        raise InvalidInput(_("The feedback is with this agency already; choose another one."))
    moved = FeedbackForward(
        from_agency_id=feedback.agency_id, to_agency_id=target.id, note=note, actor_id=actor.id, at=utcnow()
    )
    feedback.forwards.append(moved)
    from_name = feedback.agency.name
    feedback.agency_id = target.id
    feedback.agency = target
    feedback.received_at = moved.at
    feedback.due_on = deadline(db.session.get(Province, feedback.province_id), moved.at)
    db.session.flush()
    _tell_sender(
        feedback, "feedback_forwarded", from_agency=from_name, to_agency=target.name, note=note, due_on=feedback.due_on
    )
    _tell_agency(feedback)
    return moved


def answer(feedback: Feedback, actor: User, text: str) -> None:
    """Answer in the portal; the sender is told on their channels and may mark the answer."""
    _check_open(actor, feedback)
    text = text.strip()
    if not text or len(text) > BODY_LENGTH:
        raise InvalidInput(_("Write the answer."))
    feedback.answer = text
    feedback.state = FeedbackState.ANSWERED
    feedback.answered_at = utcnow()
    feedback.answered_by_id = actor.id
    db.session.flush()
    _tell_sender(feedback, "feedback_answered", agency=feedback.agency.name)


def rate(feedback: Feedback, satisfied: bool) -> None:
    """The sender's mark on the answer (the reader was checked by `for_sender`); a later mark replaces it."""
    if feedback.state_enum is not FeedbackState.ANSWERED:
        raise InvalidInput(_("There is no answer to mark yet."))
    feedback.satisfied = satisfied
    feedback.rated_at = utcnow()
    db.session.flush()
