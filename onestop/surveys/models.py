"""Surveys, their versions, sections and questions, and the responses with one answer row per value.

A survey's questions live in a version: editing a published survey writes a new version, and the answers
of the old one keep pointing at the questions they answered. Answers are rows (a choice key, a number, a
text or a day per question, and per grid row), so that results are counted by GROUP BY in the database.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    YES_NO = "yes_no"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    GRID = "grid"
    # A phone number or e-mail address that counts only once the person typed the one-time code sent to it.
    VERIFIED_CONTACT = "verified_contact"


# Kinds whose answers are choice keys: they can be counted, charted and named by a show-if rule.
CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RATING, QuestionKind.YES_NO})
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})


class Survey(db.Model):
    """What stays the same across versions: the short link, the owner, who may answer and when."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # True: anyone may answer, one response per device; False: signed-in people only, one response each.
    anonymous: Mapped[bool] = mapped_column(default=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_cap: Mapped[int | None] = mapped_column()
    # Submitted responses, raised by one conditional UPDATE per submit so that the cap holds under concurrency.
    response_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A province's service-rating survey (onestop.ratings): answered only through an application's rating
    # link, never at its short link, so every answer belongs to one application.
    for_ratings: Mapped[bool] = mapped_column(default=False, server_default=false())

    owner = relationship("User")
    versions: Mapped[list["SurveyVersion"]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )


class SurveyVersion(db.Model):
    """One wording of a survey; at most one is unpublished (the builder's draft)."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    intro: Mapped[dict] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship(back_populates="versions")
    sections: Mapped[list["SurveySection"]] = relationship(
        back_populates="version", order_by="SurveySection.position", cascade="all, delete-orphan"
    )


class SurveySection(db.Model):
    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[dict] = mapped_column(JSON, default=dict)

    version: Mapped[SurveyVersion] = relationship(back_populates="sections")
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="section", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )


class SurveyQuestion(db.Model):
    """A question; `key` stays the same across versions, so show-if rules and exports can name it."""

    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_section.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(String(20))
    kind: Mapped[QuestionKind] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=False)
    text: Mapped[dict] = mapped_column(JSON, default=dict)
    # [{"key": "o1", "vi": ..., "en": ...}]: the choices, or a grid's rows.
    options: Mapped[list] = mapped_column(JSON, default=list)
    rows: Mapped[list] = mapped_column(JSON, default=list)
    allow_other: Mapped[bool] = mapped_column(default=False)
    # A rating's labelled ends: {"low": {"vi", "en"}, "high": {"vi", "en"}}.
    scale: Mapped[dict] = mapped_column(JSON, default=dict)
    # Shown only when the answer to an earlier section's question `question` is one of `values`.
    show_if: Mapped[dict | None] = mapped_column(JSON)

    section: Mapped[SurveySection] = relationship(back_populates="questions")
    version: Mapped[SurveyVersion] = relationship()


class SurveyResponse(db.Model):
    """One person's (or device's) answers to one version; counted once submitted."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        UniqueConstraint("survey_id", "device_key"),
        Index("ix_survey_response_submitted", "version_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    device_key: Mapped[str | None] = mapped_column(String(64))
    # The final form carries it; a replayed submit finds the response already submitted and changes nothing.
    submit_token: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyAnswer(db.Model):
    """One value of one answer: a choice key (with "other" text), a number, a text or a day; grids per row."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        # Results count answers of one question by row and choice within a date range: an index-only scan.
        Index("ix_survey_answer_tally", "question_id", "submitted_at", "row_key", "choice"),
        # The free-text list: newest first per question, reading only answers that have a text.
        Index(
            "ix_survey_answer_texts",
            "question_id",
            "submitted_at",
            "id",
            postgresql_where=sql_text("text IS NOT NULL"),
            sqlite_where=sql_text("text IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    row_key: Mapped[str] = mapped_column(String(20), default="")
    choice: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    day: Mapped[date | None] = mapped_column(Date)
    # Copied from the response when it is submitted: unsubmitted answers have none and are never counted.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyShare(db.Model):
    """A colleague the owner lets read the results."""

    __tablename__ = "survey_share"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


class _TallyCounts:
    """The counted cell and its counts, shared by the per-day and the per-month tallies."""

    # First in the key, before the table's own day or month column (as the migrations create it).
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True, sort_order=-1
    )
    row_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    choice: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    respondents: Mapped[int] = mapped_column(default=0)
    total: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)


class SurveyTally(_TallyCounts, db.Model):
    """Running counts of one question's answers per province day, row and choice, added to at each submit.

    Results of 100k responses then sum a few hundred rows instead of counting a million answers. `respondents`
    counts each person once per question (multiple choice and grids have several rows per person); `total`,
    `low` and `high` are the sum, least and greatest number (a date as its day number).
    """

    __tablename__ = "survey_tally"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class SurveyTallyMonth(_TallyCounts, db.Model):
    """The same counts per province month (`month` is its first day), added to in the same submit.

    A range of whole months (the results page's default, a year) then sums about twelve rows per counted
    cell instead of 365; the days of a partial month at either end still come from SurveyTally.
    """

    __tablename__ = "survey_tally_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class SurveyDay(db.Model):
    """Responses submitted to one version per province day: the total and the monthly trend."""

    __tablename__ = "survey_day"

    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    responses: Mapped[int] = mapped_column(default=0)


class SurveyContactCode(db.Model):
    """A one-time code sent to a contact typed in a verified-contact question; the answer counts once it matches."""

    __tablename__ = "survey_contact_code"
    __table_args__ = (Index("ix_survey_contact_code_sent", "response_id", "question_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    contact: Mapped[str] = mapped_column(String(200), index=True)
    code_hash: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    # Set when the right code was typed: the code cannot be used again, the contact stays verified.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
