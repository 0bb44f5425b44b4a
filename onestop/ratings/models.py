"""A rating for every service: which survey a province rates with, each application's one invitation, the rating.

The answers themselves are a survey response (onestop.surveys); `service_rating` keeps beside it the few
numbers the service-quality dashboards sum per agency, officer and province day in SQL.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import onestop.surveys.models  # noqa: F401  (Survey, SurveyResponse: named by the relationships below)
from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class RatingChannel(enum.StrEnum):
    ONLINE = "online"
    COUNTER = "counter"


class RatingSurvey(db.Model):
    """The survey a province rates its services with: its default one (procedure_code "") or a procedure's own."""

    __tablename__ = "rating_survey"
    __table_args__ = (UniqueConstraint("province_id", "procedure_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id", ondelete="CASCADE"))
    procedure_code: Mapped[str] = mapped_column(String(60), default="")
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    # Which question key answers which measure: {"overall": "q1", "on_time": "q2", ...}.
    measures: Mapped[dict] = mapped_column(JSON, default=dict)
    # Of the pack file: loading the same file again changes nothing, an edited one makes a new version.
    content_hash: Mapped[str] = mapped_column(String(64))

    survey = relationship("Survey")


class RatingInvitation(db.Model):
    """The one invitation of an application to rate its service; its token is the rating link's secret."""

    __tablename__ = "rating_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    measures: Mapped[dict] = mapped_column(JSON, default=dict)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The answers being given (online or on the counter tablet); one response per application.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_response.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(10))
    # A clerk opened the rating on the counter tablet: its own short-lived link, so the tablet never
    # holds the citizen's online link nor the clerk's session.
    counter_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    counter_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    survey = relationship("Survey")
    application = relationship("Application")


class ServiceRating(db.Model):
    """One application's rating, compact for SQL sums per agency and day (issue 17's dashboards)."""

    __tablename__ = "service_rating"
    __table_args__ = (Index("ix_service_rating_agency_day", "agency_id", "rated_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_response.id", ondelete="SET NULL"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), index=True)
    overall: Mapped[int] = mapped_column(SmallInteger)
    on_time: Mapped[bool | None] = mapped_column()
    guidance: Mapped[int | None] = mapped_column(SmallInteger)
    conduct: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[RatingChannel] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The province day of created_at: dashboards group by it without time-zone arithmetic in SQL.
    rated_on: Mapped[date] = mapped_column(Date)

    officers: Mapped[list["ServiceRatingOfficer"]] = relationship(cascade="all, delete-orphan")


class ServiceRatingOfficer(db.Model):
    """An officer who handled the rated application (a holder of one of its steps)."""

    __tablename__ = "service_rating_officer"

    rating_id: Mapped[int] = mapped_column(ForeignKey("service_rating.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
