"""Public answers: a question and its answer an agency publishes, anonymised, on a procedure page.

They show on the procedure page (templates/feedback/_public_answers.html) and in help search (a source
of onestop/help/search.py). Only a leader or the agency administrator of the agency holding answered
feedback may publish; nothing here commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.accounts.models import User
from onestop.errors import InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.feedback.models import BODY_LENGTH, Feedback, FeedbackState, PublicAnswer
from onestop.feedback.services import PUBLISHERS, may_handle, not_found
from onestop.models import utcnow
from onestop.procedures.models import Procedure
from onestop.provinces.models import Province


def may_publish(user: User, feedback: Feedback) -> bool:
    return may_handle(user, feedback) and user.role_enum in PUBLISHERS and feedback.state_enum is FeedbackState.ANSWERED


def procedures_to_publish_on(feedback: Feedback) -> list[Procedure]:
    """The procedure pages an answer may go on: the feedback's own, else any active one of the province."""
    if feedback.procedure is not None:
        return [feedback.procedure]
    return list(
        db.session.scalars(
            select(Procedure)
            .where(Procedure.province_id == feedback.province_id, Procedure.is_active)
            .order_by(Procedure.code)
        )
    )


def publish(
    feedback: Feedback, actor: User, question: str, answer_text: str, procedure_id: int | None = None
) -> PublicAnswer:
    """Publish the question and answer, in the officer's anonymised words, on a procedure's page.

    Feedback about a procedure or a file goes on that procedure's page; general feedback on the one
    the officer chooses.
    """
    if not may_publish(actor, feedback):
        if may_handle(actor, feedback):
            raise NotAllowed(_("Only a leader or the agency administrator can publish an answer."))
        raise not_found()
    question, answer_text = question.strip(), answer_text.strip()
    if not question or not answer_text or len(question) > BODY_LENGTH or len(answer_text) > BODY_LENGTH:
        raise InvalidInput(_("Write both the question and the answer as the public will read them."))
    choices = {procedure.id: procedure for procedure in procedures_to_publish_on(feedback)}
    procedure = feedback.procedure or choices.get(procedure_id)
    if procedure is None:
        raise InvalidInput(_("Choose the procedure page the answer goes on."))
    entry = db.session.scalar(select(PublicAnswer).where(PublicAnswer.feedback_id == feedback.id))
    now = utcnow()
    if entry is None:
        entry = PublicAnswer(
            province_id=feedback.province_id,
            procedure_id=procedure.id,
            agency_id=feedback.agency_id,
            feedback_id=feedback.id,
            published_by_id=actor.id,
            published_at=now,
        )
        db.session.add(entry)
    entry.procedure_id = procedure.id
    entry.question, entry.answer, entry.is_published, entry.updated_at = question, answer_text, True, now
    _pages_changed(feedback.province_id)
    db.session.flush()
    return entry


def withdraw(feedback: Feedback, actor: User) -> None:
    """Take a published answer off the procedure page and out of help search."""
    entry = published_for(feedback)
    if entry is None or not (may_handle(actor, feedback) and actor.role_enum in PUBLISHERS):
        raise not_found()
    entry.is_published = False
    entry.updated_at = utcnow()
    _pages_changed(feedback.province_id)
    db.session.flush()


def _pages_changed(province_id: int) -> None:
    # Published answers are part of procedure pages, which every process caches per catalogue revision
    # (portal/cache.py, help search): moving the revision renews them everywhere, in one statement.
    db.session.execute(
        Province.__table__.update()
        .where(Province.id == province_id)
        .values(catalogue_revision=Province.catalogue_revision + 1)
    )


def published_for(feedback: Feedback) -> PublicAnswer | None:
    return db.session.scalar(
        select(PublicAnswer).where(PublicAnswer.feedback_id == feedback.id, PublicAnswer.is_published)
    )


def public_answers(procedure: Procedure) -> list[PublicAnswer]:
    """The answers published on a procedure's page, newest first."""
    return list(
        db.session.scalars(
            select(PublicAnswer)
            .where(PublicAnswer.procedure_id == procedure.id, PublicAnswer.is_published)
            .order_by(PublicAnswer.published_at.desc(), PublicAnswer.id.desc())
        )
    )
