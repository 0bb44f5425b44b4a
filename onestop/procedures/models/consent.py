from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class CounterConsent(db.Model):
    """A walk-in citizen lets the clerk filing for them use their warehouse and remembered details.

    The clerk sends a one-time code to the citizen's phone or e-mail; the citizen reads it out at the
    counter. Until then the clerk sees only what the citizen hands over (docs/operations.md, "Counter intake").
    """

    __tablename__ = "counter_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    clerk_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    code_hash: Mapped[str | None] = mapped_column(String(300))
    # Where the code went, masked ("SMS 09******78"), so the clerk can tell the citizen where to look.
    sent_to: Mapped[str] = mapped_column(String(120), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
