import enum
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.i18n import localized
from onestop.models import UTCDateTime, utcnow


class Province(db.Model):
    __tablename__ = "province"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    identifier: Mapped[str] = mapped_column(String(40))
    name: Mapped[dict] = mapped_column(JSON)
    short_name: Mapped[dict] = mapped_column(JSON)
    branding: Mapped[dict] = mapped_column(JSON, default=dict)
    # Only the logo route reads the bytes; every request loads the province.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(40))
    working_hours: Mapped[list] = mapped_column(JSON, default=list)
    cutoff_time: Mapped[str] = mapped_column(String(5), default="15:00")
    # Working days an agency has to answer a citizen's feedback (onestop/feedback), from the pack.
    feedback_days: Mapped[int] = mapped_column(default=10)
    publication_days: Mapped[int] = mapped_column(default=5)
    # The pack's `citizen_surveys`: any signed-in person may build surveys of their own (onestop/surveys).
    citizen_surveys: Mapped[bool] = mapped_column(default=False, server_default=false())
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Ho_Chi_Minh")
    contact: Mapped[dict] = mapped_column(JSON, default=dict)
    # Administrative units (province → district → commune/ward) that addresses are picked from.
    units: Mapped[list] = mapped_column(JSON, default=list)
    # The pack's help.yaml (abbreviations, the "which procedure do I need?" guide), read by onestop.help.
    help: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped whenever a pack load changes the catalogue; search caches key on it.
    catalogue_revision: Mapped[int] = mapped_column(default=0)
    # Bumped whenever the aggregation writes the dashboards' summaries; dashboard pages key on it.
    dashboards_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agencies: Mapped[list["Agency"]] = relationship(back_populates="province", order_by="Agency.code")

    def display_name(self) -> str:
        return localized(self.name)

    def display_working_hours(self) -> str:
        """The office hours of a working day, e.g. "Monday to Friday, 07:30–11:30, 13:30–17:00"."""
        periods = ", ".join(f"{period['start']}–{period['end']}" for period in self.working_hours or ())
        return _("Monday to Friday, %(hours)s", hours=periods) if periods else ""

    def address_units(self) -> list[tuple[str, str, str]]:
        """Every unit an address can be in, as (code, name, the names of the units above it)."""
        found: list[tuple[str, str, str]] = []

        def walk(units: list, above: list[str]) -> None:
            for unit in units:
                name = localized(unit["name"])
                if unit.get("children"):
                    walk(unit["children"], [*above, name])
                else:
                    found.append((unit["code"], name, ", ".join(reversed(above))))

        walk(self.units or [], [])
        return found

    def unit_names(self) -> dict[str, str]:
        """Unit code → its name followed by the units above it ("Phường Đông Thành, Thành phố ...")."""
        return {code: f"{name}, {above}" if above else name for code, name, above in self.address_units()}


class Agency(db.Model):
    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("province_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    # The electronic identifier code of Decision 20/2020/QĐ-TTg, e.g. 000.00.12.H99.
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[dict] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    # {vi, en}, or {} when the agency keeps the province's working hours.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # Unit codes (Province.units) whose residents this agency receives, for procedures received by address.
    serves: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)

    province: Mapped[Province] = relationship(back_populates="agencies")
    parent: Mapped["Agency | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Agency"]] = relationship(back_populates="parent")

    def display_name(self) -> str:
        return localized(self.name)

    def display_opening_hours(self) -> str:
        """The agency's opening hours in the reader's language; the province's working hours if it gives none."""
        return localized(self.opening_hours) or self.province.display_working_hours()


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a public holiday the national package does not know, or a local one
    DAY_OFF = "day_off"  # a compensatory or swapped day off
    WORKING_DAY = "working_day"  # a weekend day worked in exchange (e.g. a Saturday)


class CalendarDay(db.Model):
    """A province's correction on top of the national calendar of the `holidays` package."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("province_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[DayKind] = mapped_column(String(20))
    name: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300), default="")
