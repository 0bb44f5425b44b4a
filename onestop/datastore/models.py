import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class Blob(db.Model):
    """Bytes stored once in the blob store, named by their SHA-256."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column()
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Provenance(enum.StrEnum):
    UPLOADED = "uploaded"  # uploaded by the owner
    DIGITISED = "digitised"  # a paper scanned at the counter by a clerk
    ISSUED = "issued"  # a result issued by an agency


class IssuedType(enum.StrEnum):
    """Kinds of paper the system itself puts in a warehouse, beside the types a province's procedures ask for."""

    RESULT = "ket-qua"  # the result of an application
    RECEIPT = "bien-lai-thu-phi"  # an e-receipt for a fee paid
    MESSAGE = "tin-nhan"  # a file attached to a message about an application
    OPINION = "y-kien-phoi-hop"  # a co-ordinating agency's opinion or partial result
    DECLARATION = "to-khai"  # the declaration of an application, rendered from its answers and signed by the citizen

    @property
    def title(self) -> str:
        return str(ISSUED_TYPE_TITLES[self])


ISSUED_TYPE_TITLES = {
    IssuedType.RESULT: _l("Result of an application"),
    IssuedType.RECEIPT: _l("Fee receipt"),
    IssuedType.MESSAGE: _l("File sent with a message"),
    IssuedType.OPINION: _l("Opinion of a co-ordinating agency"),
    IssuedType.DECLARATION: _l("Signed declaration"),
}


class Document(db.Model):
    """A paper in its owner's personal electronic data warehouse (kho dữ liệu điện tử)."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_owner_type", "owner_id", "document_type_code", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    document_type_code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(300), default="")
    number: Mapped[str] = mapped_column(String(100), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    provenance: Mapped[Provenance] = mapped_column(String(20), default=Provenance.UPLOADED)
    source_application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    blob: Mapped[Blob] = relationship()

    def is_valid_on(self, day: date) -> bool:
        return self.expires_on is None or self.expires_on >= day


class DocumentAccess(db.Model):
    """Every read of a document: who, when and why. The owner can see this log."""

    __tablename__ = "document_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
