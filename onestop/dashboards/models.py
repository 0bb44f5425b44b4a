"""The dashboards' own tables: facts per application, sums per agency and day, transfers out.

Pages read only these (summed over a period with an index on agency and day), never the applications
table as a whole. A fact row says once, for one application, everything the index asks of it, so that a
figure and the list of files behind it come from the same rows and always agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class DashboardFact(db.Model):
    """What the index needs to know about one application, as of its last aggregation."""

    __tablename__ = "dashboard_fact"
    __table_args__ = (
        Index("ix_dashboard_fact_submitted", "agency_id", "submitted_day", "application_id"),
        Index("ix_dashboard_fact_finished", "agency_id", "finished_day", "application_id"),
        # "Was this procedure filed / paid online in the period (at this agency)?": one probe per procedure
        # (onestop/dashboards/procedure_figures.py). Partial, so each holds only the rows it answers for.
        Index(
            "ix_dashboard_fact_procedure_online",
            "procedure_id",
            "submitted_day",
            "agency_id",
            postgresql_where=text("online"),
            sqlite_where=text("online = 1"),
        ),
        Index(
            "ix_dashboard_fact_procedure_paid",
            "procedure_id",
            "finished_day",
            "agency_id",
            postgresql_where=text("paid_online"),
            sqlite_where=text("paid_online = 1"),
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    # Local (province) days; None when it has not happened.
    submitted_day: Mapped[date | None] = mapped_column(Date)
    finished_day: Mapped[date | None] = mapped_column(Date)
    # Filed by the applicant online (not entered by a clerk at the counter).
    online: Mapped[bool] = mapped_column(default=False)
    # The procedure is offered full-process online (toàn trình).
    full_level: Mapped[bool] = mapped_column(default=False)
    # A paper already in the applicant's warehouse before this filing began was attached.
    reused: Mapped[bool] = mapped_column(default=False)
    # Accepted, then decided (result issued, or refused during processing): the progress denominator.
    decided: Mapped[bool] = mapped_column(default=False)
    on_time: Mapped[bool] = mapped_column(default=False)
    refused: Mapped[bool] = mapped_column(default=False)
    returned: Mapped[bool] = mapped_column(default=False)
    returned_online: Mapped[bool] = mapped_column(default=False)
    # A fee was owed (a payment order with an amount), and it was paid through the online gateway.
    had_fee: Mapped[bool] = mapped_column(default=False)
    paid_online: Mapped[bool] = mapped_column(default=False)
    # Its papers are held electronically (at least one attached, or its filed version asks for none) and, once
    # its result is issued, that result was signed electronically: hồ sơ số hóa (docs/service-index.md).
    digitised: Mapped[bool] = mapped_column(default=False)
    # A warehouse paper was reused, or its signed result was put in the applicant's warehouse.
    shared_for_reuse: Mapped[bool] = mapped_column(default=False)
    # Decided on time, not rated unsatisfied and without feedback about it: satisfaction in receiving and
    # processing. Refreshed when a rating or feedback arrives after the decision (aggregate.py).
    service_ok: Mapped[bool] = mapped_column(default=False)
    # Working days the clock ran between acceptance and the decision (suspensions not counted).
    working_days: Mapped[int | None] = mapped_column()


class DashboardTransfer(db.Model):
    """A file an agency sent on to the right agency: counted for the agency that sent it."""

    __tablename__ = "dashboard_transfer"
    __table_args__ = (Index("ix_dashboard_transfer_agency_day", "agency_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    day: Mapped[date] = mapped_column(Date)


class DashboardDuration(db.Model):
    """How many files an agency decided on a day after so many working days: the histogram that gives the
    90th percentile (and any other) of the processing time over any period, summed in SQL."""

    __tablename__ = "dashboard_duration"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working_days: Mapped[int] = mapped_column(primary_key=True)
    files: Mapped[int] = mapped_column(default=0)


class _Sums:
    """The summed columns a day row and a month row share."""

    received: Mapped[int] = mapped_column(default=0)
    received_online: Mapped[int] = mapped_column(default=0)
    full_received: Mapped[int] = mapped_column(default=0)
    full_online: Mapped[int] = mapped_column(default=0)
    reused: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    returned_online: Mapped[int] = mapped_column(default=0)
    had_fee: Mapped[int] = mapped_column(default=0)
    paid_online: Mapped[int] = mapped_column(default=0)
    digitised: Mapped[int] = mapped_column(default=0)
    shared_for_reuse: Mapped[int] = mapped_column(default=0)
    service_ok: Mapped[int] = mapped_column(default=0)
    transferred: Mapped[int] = mapped_column(default=0)
    working_days_sum: Mapped[int] = mapped_column(default=0)
    working_days_count: Mapped[int] = mapped_column(default=0)
    # Citizen's voice (other modules): NULL means not measured.
    feedback_total: Mapped[int | None] = mapped_column()
    feedback_on_time: Mapped[int | None] = mapped_column()
    feedback_satisfied: Mapped[int | None] = mapped_column()
    ratings_total: Mapped[int | None] = mapped_column()
    ratings_satisfied: Mapped[int | None] = mapped_column()


class DashboardDay(_Sums, db.Model):
    """Sums for one agency and one local day: what every page adds up over its period.

    The satisfaction and feedback columns stay NULL ("not measured") until their sources are wired
    (onestop/dashboards/sources.py); a zero there is a measurement, NULL is not.
    """

    __tablename__ = "dashboard_day"
    __table_args__ = (
        UniqueConstraint("agency_id", "day", name="uq_dashboard_day_agency_day"),
        Index("ix_dashboard_day_day", "day", "agency_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    day: Mapped[date] = mapped_column(Date)
    # Files whose clock was overdue at the end of that day (a snapshot, for trends).
    overdue_snapshot: Mapped[int | None] = mapped_column()
    aggregated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DashboardMonth(_Sums, db.Model):
    """The day rows of one agency and one calendar month, summed again whenever one of its days is written:
    a long period reads its whole months here and only its partial months from the day rows."""

    __tablename__ = "dashboard_month"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    # The month's first day.
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class DashboardMonthDuration(db.Model):
    """`dashboard_duration` summed per month, kept beside it as `dashboard_month` is beside the day rows."""

    __tablename__ = "dashboard_month_duration"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    working_days: Mapped[int] = mapped_column(primary_key=True)
    files: Mapped[int] = mapped_column(default=0)
