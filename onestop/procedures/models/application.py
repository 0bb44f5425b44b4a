import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow
from onestop.procedures.models.catalogue import Procedure, ProcedureVersion
from onestop.provinces.models import Agency


class ApplicationState(enum.StrEnum):
    """The lifecycle of DESIGN.md; the transitions between these live in onestop.procedures.workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    RETURNED = "returned"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def title(self) -> str:
        return str(STATE_TITLES[self])


STATE_TITLES = {
    ApplicationState.DRAFT: _l("Draft, not yet sent"),
    ApplicationState.SUBMITTED: _l("Sent, waiting for the agency to check it"),
    ApplicationState.SUPPLEMENT_REQUESTED: _l("Waiting for you to supply missing items"),
    ApplicationState.RECEIVED: _l("Accepted, waiting for a specialist"),
    ApplicationState.IN_PROGRESS: _l("Being processed"),
    ApplicationState.AWAITING_APPROVAL: _l("Waiting for the leader's approval"),
    ApplicationState.APPROVED: _l("Approved, result being issued"),
    ApplicationState.RETURNED: _l("Result issued"),
    ApplicationState.REFUSED: _l("Refused"),
    ApplicationState.WITHDRAWN: _l("Withdrawn"),
}

# States from which nothing more happens to the application.
FINAL_STATES = frozenset({ApplicationState.RETURNED, ApplicationState.REFUSED, ApplicationState.WITHDRAWN})
# States in which the clock runs (onestop/procedures/clock.py); a supplement request or the end stops it.
RUNNING_STATES = frozenset(
    {
        ApplicationState.RECEIVED,
        ApplicationState.IN_PROGRESS,
        ApplicationState.AWAITING_APPROVAL,
        ApplicationState.APPROVED,
    }
)
# The reception clerks' work: files to check, and approved results to issue.
COUNTER_STATES = frozenset({ApplicationState.SUBMITTED, ApplicationState.APPROVED})
# The back office's "finished" list: files that came to a decision (a withdrawn one did not).
DECIDED_STATES = frozenset({ApplicationState.RETURNED, ApplicationState.REFUSED})


def _only_in(states: frozenset[ApplicationState]) -> dict:
    """Make an index partial, over the rows in these states: a list of several states then reads
    its rows in order from one index, where a full index would need a sort of all of them."""
    where = text("state IN ({})".format(", ".join(f"'{state}'" for state in sorted(states))))
    return {"postgresql_where": where, "sqlite_where": where}


class ResultDelivery(enum.StrEnum):
    ONLINE = "online"
    COUNTER = "counter"
    POST = "post"


class Application(db.Model):
    """An application (hồ sơ): a draft until submitted, then handled by the agency under its code."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_applicant_updated", "applicant_id", "updated_at"),
        # The back-office queues page through these with keyset pagination (onestop/office/queues.py):
        # lists of one state...
        Index("ix_application_agency_state", "receiving_agency_id", "state", "submitted_at", "id"),
        Index("ix_application_agency_state_due", "receiving_agency_id", "state", "due_on", "id"),
        # ... and of several: overdue, finished, and an officer's own files.
        Index("ix_application_running_due", "receiving_agency_id", "due_on", "id", **_only_in(RUNNING_STATES)),
        Index("ix_application_decided", "receiving_agency_id", "submitted_at", "id", **_only_in(DECIDED_STATES)),
        Index("ix_application_counter", "receiving_agency_id", "updated_at", "id", **_only_in(COUNTER_STATES)),
        Index(
            "ix_application_holder_running",
            "receiving_agency_id",
            "holder_id",
            "submitted_at",
            "id",
            **_only_in(RUNNING_STATES),
        ),
        Index(
            "ix_application_holder_running_due",
            "receiving_agency_id",
            "holder_id",
            "due_on",
            "id",
            **_only_in(RUNNING_STATES),
        ),
        # The dashboards' aggregation finds one day's arrivals and decisions (onestop/dashboards/aggregate.py).
        Index("ix_application_submitted_at", "submitted_at"),
        Index("ix_application_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The human-typable code of Circular 01/2018 Art 19 (agency code, date, sequence), given at submission.
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), index=True)
    # Pinned at creation: a later edit of the procedure never changes what this application was filed under.
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id"))
    receiving_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    state: Mapped[ApplicationState] = mapped_column(String(30), default=ApplicationState.DRAFT)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    completed_steps: Mapped[list] = mapped_column(JSON, default=list)
    result_delivery: Mapped[ResultDelivery] = mapped_column(String(20), default=ResultDelivery.ONLINE)
    lookup_pin_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The back office (see onestop/procedures/workflow.py). The agency handling the file is
    # receiving_agency_id: a transfer moves it, the code stays.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Derived from the clock entries and the province calendar (onestop/procedures/clock.py); kept
    # here so that queues can filter and sort by it with an index. None while the clock is not running.
    due_on: Mapped[date | None] = mapped_column(Date)
    # Where a supplement request returns to when the citizen answers it.
    resume_state: Mapped[str | None] = mapped_column(String(30))
    # ... and the route steps that stopped for it, to start again with their whole budget.
    resume_steps: Mapped[list | None] = mapped_column(JSON)
    # A leader's decision to make: the specialist's proposal ("approve" or "refuse") and its note.
    proposal: Mapped[str | None] = mapped_column(String(20))
    proposal_note: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: two requests changing the same application cannot both win.
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}

    procedure: Mapped[Procedure] = relationship()
    procedure_version: Mapped[ProcedureVersion] = relationship()
    receiving_agency: Mapped[Agency] = relationship()
    applicant: Mapped["User"] = relationship(foreign_keys=[applicant_id], viewonly=True)  # noqa: F821
    holder: Mapped["User | None"] = relationship(foreign_keys=[holder_id], viewonly=True)  # noqa: F821
    events: Mapped[list["ApplicationEvent"]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list["ApplicationDocument"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationDocument.id"
    )
    clock: Mapped[list["ClockEntry"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ClockEntry.id"
    )
    supplements: Mapped[list["SupplementRequest"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="SupplementRequest.id"
    )
    messages: Mapped[list["ApplicationMessage"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationMessage.id"
    )
    slips: Mapped[list["IssuedSlip"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="IssuedSlip.id"
    )
    steps: Mapped[list["ApplicationStep"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationStep.id"
    )

    @property
    def state_enum(self) -> ApplicationState:
        return ApplicationState(self.state)

    @property
    def definition(self) -> dict:
        return self.procedure_version.definition


class ApplicationEvent(db.Model):
    """One line of an application's history: who did what, from which state to which, and why."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")


class ApplicationDocument(db.Model):
    """A warehouse document attached to an application for one of the procedure's document slots."""

    __tablename__ = "application_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    document_type_code: Mapped[str] = mapped_column(String(60))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="documents")
    document: Mapped["Document"] = relationship()  # noqa: F821  (onestop.datastore.models)


class ApplicationCounter(db.Model):
    """The per-agency, per-day sequence behind application codes; never reused."""

    __tablename__ = "application_counter"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class ClockKind(enum.StrEnum):
    START = "start"  # accepted, or the complete file received again after a supplement: N working days from here
    SUSPEND = "suspend"  # a supplement request stops the clock
    EXTEND = "extend"  # an apology slip sets a new due date


class ClockEntry(db.Model):
    """One entry of an application's clock; the due date is derived from these and the calendar."""

    __tablename__ = "clock_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ClockKind] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    working_days: Mapped[int | None] = mapped_column()
    # For EXTEND: the new due date promised on the apology slip.
    due_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    application: Mapped[Application] = relationship(back_populates="clock")


class SupplementRequest(db.Model):
    """Everything missing or wrong in a file, asked in one go; answered once by the citizen."""

    __tablename__ = "supplement_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The state it was asked from: "submitted" (at reception) or "in_progress" (during processing).
    stage: Mapped[str] = mapped_column(String(30))
    # [{"kind": "document", "key": <document type code>, "title": ..., "note": ...}, {"kind": "step", ...},
    #  {"kind": "other", "key": "", "title": ..., "note": ...}]
    items: Mapped[list] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_note: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="supplements")


class ApplicationMessage(db.Model):
    """The thread between the citizen and the officers handling the application."""

    __tablename__ = "application_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="messages")
    document: Mapped["Document | None"] = relationship()  # noqa: F821  (onestop.datastore.models)


class SlipKind(enum.StrEnum):
    RECEIPT = "receipt"  # Mẫu 01
    SUPPLEMENT = "supplement"  # Mẫu 02
    REFUSAL = "refusal"  # Mẫu 03
    APOLOGY = "apology"  # Mẫu 04
    CONTROL = "control"  # Mẫu 05 (rendered live, never stored)


class IssuedSlip(db.Model):
    """A slip as issued: the facts printed on it, frozen at the moment it was issued."""

    __tablename__ = "issued_slip"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SlipKind] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)

    application: Mapped[Application] = relationship(back_populates="slips")


class StepOutcome(enum.StrEnum):
    DONE = "done"  # the step's work is finished and the file went on
    SENT_BACK = "sent_back"  # the file went back to an earlier step
    SUSPENDED = "suspended"  # the applicant was asked for missing items; the step starts again afterwards
    TRANSFERRED = "transferred"  # the file went to another agency, which receives it afresh
    ENDED = "ended"  # the application ended (refused, withdrawn) while the step was open


_OPEN_STEP = text("left_at IS NULL")


class ApplicationStep(db.Model):
    """One visit of an application to a step of its procedure's route: the clock's log of steps.

    Entering a step writes its row with the budget it had and the due time derived from it; leaving
    writes when and how. Open rows (no `left_at`) are the back office's per-step queues, for the agency
    that owns the step, so a co-ordinating agency sees exactly the files sent to it.
    """

    __tablename__ = "application_step"
    __table_args__ = (
        Index(
            "ix_application_step_open",
            "agency_id",
            "stage",
            "entered_at",
            "id",
            postgresql_where=_OPEN_STEP,
            sqlite_where=_OPEN_STEP,
        ),
        Index(
            "ix_application_step_open_due",
            "agency_id",
            "due_at",
            "id",
            postgresql_where=_OPEN_STEP,
            sqlite_where=_OPEN_STEP,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    # The step of the route (onestop/procedures/route.py) and its place: steps of one group run in parallel.
    step_id: Mapped[str] = mapped_column(String(60))
    stage: Mapped[str] = mapped_column(String(20))
    group_index: Mapped[int] = mapped_column(default=0)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    role: Mapped[str] = mapped_column(String(20))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    budget_days: Mapped[int | None] = mapped_column()
    budget_hours: Mapped[int | None] = mapped_column()
    # Derived from entered_at, the budget and the province calendar; None: bounded by the file's due date.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # A co-ordinating agency's answer: "agree" or "disagree", with its note and attachments.
    opinion: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))

    application: Mapped[Application] = relationship(back_populates="steps")
    document: Mapped["Document | None"] = relationship()  # noqa: F821  (onestop.datastore.models)
    agency: Mapped[Agency] = relationship()
    holder: Mapped["User | None"] = relationship(foreign_keys=[holder_id], viewonly=True)  # noqa: F821

    @property
    def is_open(self) -> bool:
        return self.left_at is None
