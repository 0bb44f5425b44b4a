import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.i18n import localized
from onestop.models import UTCDateTime, utcnow
from onestop.provinces.models import Agency, Province


class OnlineLevel(enum.StrEnum):
    # Decree 42/2022 Art 11(1): "toàn trình" when filing and processing happen entirely online.
    FULL = "full"
    PARTIAL = "partial"


class Sector(db.Model):
    """A field of administration (lĩnh vực), e.g. civil status, judicial records."""

    __tablename__ = "sector"
    __table_args__ = (UniqueConstraint("province_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[dict] = mapped_column(JSON)

    def display_name(self) -> str:
        return localized(self.name)


class DocumentType(db.Model):
    """A kind of paper that procedures ask for and the warehouse files documents under."""

    __tablename__ = "document_type"
    __table_args__ = (UniqueConstraint("province_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)

    def display_name(self) -> str:
        return localized(self.name)


class ProcedureAgency(db.Model):
    __tablename__ = "procedure_agency"

    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, index=True)


class Procedure(db.Model):
    """The current state of a procedure; every loaded variant is kept as a ProcedureVersion.

    The columns beside `definition` are copies of it that listing and filtering need to query.
    """

    __tablename__ = "procedure"
    __table_args__ = (
        UniqueConstraint("province_id", "code"),
        UniqueConstraint("province_id", "slug"),
        Index("ix_procedure_listing", "province_id", "is_active", "filing_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"))
    code: Mapped[str] = mapped_column(String(60))
    slug: Mapped[str] = mapped_column(String(200))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    # The one agency receiving every file; None when a rule decides per file (by the applicant's
    # address, or the citizen's choice among several): definition["receiving"] says which.
    receiving_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    online_level: Mapped[OnlineLevel] = mapped_column(String(20))
    processing_days: Mapped[int] = mapped_column()
    name: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    # Folded (no diacritics, lower case), space-padded text for search; see procedures/search.py.
    search_name: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    featured: Mapped[bool] = mapped_column(default=False)
    filing_count: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Copies of what the definition says (onestop/procedures/parts.py): the service index counts them.
    has_form: Mapped[bool] = mapped_column(default=False)
    charges_fee: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    definition: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    province: Mapped[Province] = relationship()
    sector: Mapped[Sector] = relationship()
    receiving_agency: Mapped[Agency | None] = relationship()
    agencies: Mapped[list[Agency]] = relationship(secondary="procedure_agency", viewonly=True)
    versions: Mapped[list["ProcedureVersion"]] = relationship(
        back_populates="procedure", order_by="ProcedureVersion.number"
    )

    def display_name(self) -> str:
        return localized(self.name)


class ProcedureVersion(db.Model):
    """An immutable snapshot of a procedure's definition; applications pin the one they were filed under."""

    __tablename__ = "procedure_version"
    __table_args__ = (UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict] = mapped_column(JSON)
    # The decision that announced this version (copied from definition["announcement"]); created_at is
    # when it went live here. The dashboards' "published on time" compares the two.
    announcement_number: Mapped[str | None] = mapped_column(String(60))
    announced_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The parts the law requires published that this version leaves empty (onestop/procedures/parts.py).
    missing_parts: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped[Procedure] = relationship(back_populates="versions")
