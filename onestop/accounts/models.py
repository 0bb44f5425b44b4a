import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow
from onestop.provinces.models import Agency, Province


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"
    SPECIALIST = "specialist"
    LEADER = "leader"
    AGENCY_ADMIN = "agency_admin"
    PROVINCE_ADMIN = "province_admin"

    @property
    def title(self) -> str:
        return str(ROLE_TITLES[self])

    @property
    def is_staff(self) -> bool:
        return self is not Role.CITIZEN


ROLE_TITLES = {
    Role.CITIZEN: _l("Citizen"),
    Role.CLERK: _l("Reception clerk"),
    Role.SPECIALIST: _l("Specialist"),
    Role.LEADER: _l("Leader"),
    Role.AGENCY_ADMIN: _l("Agency administrator"),
    Role.PROVINCE_ADMIN: _l("Province administrator"),
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # 12-digit citizen identification number (số định danh cá nhân); citizens only.
    citizen_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(String(30), default=Role.CITIZEN, index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"), index=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one password reset link that may still be used: a new request replaces it, using it clears it.
    password_reset_nonce: Mapped[str | None] = mapped_column(String(32))
    # One pending phone confirmation code at a time, stored hashed.
    phone_code_hash: Mapped[str | None] = mapped_column(String(300))
    phone_code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the citizen told us once and may be asked again (date of birth, address...), to prefill forms.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    # When the citizen accepted the personal-data notice (shown at registration).
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship()
    province: Mapped[Province | None] = relationship()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_staff(self) -> bool:
        return self.role_enum.is_staff

    @property
    def is_verified(self) -> bool:
        """A citizen may log in once one way of reaching them has been confirmed."""
        return self.email_confirmed_at is not None or self.phone_confirmed_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class UserSession(db.Model):
    """One signed-in browser. Its key lives in the session cookie; deleting the row signs that browser out,
    so a cookie copied before sign-out, a password change or a reset no longer works."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the key: the database alone does not give a usable cookie away.
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
