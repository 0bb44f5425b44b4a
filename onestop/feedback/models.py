"""Feedback rows: what was sent, to whom it now belongs, its deadline, its answer and the citizen's mark."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow

TITLE_LENGTH = 200
BODY_LENGTH = 5000
NOTE_LENGTH = 1000
CODE_LENGTH = 12


class FeedbackKind(enum.StrEnum):
    FEEDBACK = "feedback"  # phản ánh: something went wrong or could be better
    QUESTION = "question"  # a question about a procedure or a file
    COMPLAINT = "complaint"  # kiến nghị: the citizen asks the agency to change or reconsider something


class FeedbackState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class Feedback(db.Model):
    """One piece of feedback, owned by the agency that must answer it now (it changes when forwarded)."""

    __tablename__ = "feedback"
    # The office list: an agency's feedback in one state, soonest due first.
    __table_args__ = (
        Index("ix_feedback_agency_state_due", "agency_id", "state", "due_on", "id"),
        # The dashboards' aggregation finds the files complained about on a day (onestop/dashboards/sources.py).
        Index("ix_feedback_sent", "sent_at", "application_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The lookup code: the only key an anonymous sender has, so it is random and long enough not to guess.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    kind: Mapped[FeedbackKind] = mapped_column(String(20))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedure.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    # None when sent anonymously: then nobody is told on any channel, and the code is the only way back.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[FeedbackState] = mapped_column(String(20), default=FeedbackState.OPEN)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the agency now holding it received it: sending, or the last forward.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counted in working days of the province calendar from the day it reached the agency now holding it.
    due_on: Mapped[date] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The sender's mark on the answer: True satisfying, False not, None not marked yet.
    satisfied: Mapped[bool | None] = mapped_column()
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped["Agency"] = relationship()  # noqa: F821
    procedure: Mapped["Procedure | None"] = relationship()  # noqa: F821
    application: Mapped["Application | None"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    answered_by: Mapped["User | None"] = relationship(foreign_keys=[answered_by_id])  # noqa: F821
    attachments: Mapped[list["FeedbackAttachment"]] = relationship(
        back_populates="feedback", order_by="FeedbackAttachment.id", cascade="all, delete-orphan"
    )
    forwards: Mapped[list["FeedbackForward"]] = relationship(
        back_populates="feedback", order_by="FeedbackForward.id", cascade="all, delete-orphan"
    )

    @property
    def kind_enum(self) -> FeedbackKind:
        return FeedbackKind(self.kind)

    @property
    def state_enum(self) -> FeedbackState:
        return FeedbackState(self.state)


class FeedbackAttachment(db.Model):
    """A file sent with feedback: bytes in the blob store, checked like every other upload."""

    __tablename__ = "feedback_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()

    feedback: Mapped[Feedback] = relationship(back_populates="attachments")


class FeedbackForward(db.Model):
    """Feedback handed from one agency to another, with the note saying why."""

    __tablename__ = "feedback_forward"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    note: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    feedback: Mapped[Feedback] = relationship(back_populates="forwards")
    from_agency: Mapped["Agency"] = relationship(foreign_keys=[from_agency_id])  # noqa: F821
    to_agency: Mapped["Agency"] = relationship(foreign_keys=[to_agency_id])  # noqa: F821


class PublicAnswer(db.Model):
    """A question and its answer an agency published for everyone, in words the officer made anonymous."""

    __tablename__ = "public_answer"
    __table_args__ = (Index("ix_public_answer_procedure", "procedure_id", "is_published"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), unique=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    is_published: Mapped[bool] = mapped_column(default=True)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Help search rebuilds its index when this moves (onestop/help/search.py SOURCES).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped["Procedure"] = relationship()  # noqa: F821
    agency: Mapped["Agency"] = relationship()  # noqa: F821
