"""Which paper of an application a citizen's signature is for, and the exact bytes it signs.

The `SignedDocument` (kind DECLARATION) says who signed, when, the verification code and the signed PDF; this
row adds what only a citizen's paper has: the unsigned original it replaces (none for the declaration the
portal renders from the answers), the slot it fills, and the SHA-256 the citizen was shown.
"""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.datastore.models import IssuedType
from onestop.extensions import db

# The slot of the declaration rendered from the answers: not a paper a procedure lists, so its own code.
DECLARATION_TYPE = IssuedType.DECLARATION.value


class SignedPaper(db.Model):
    __tablename__ = "signed_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    signed_document_id: Mapped[int] = mapped_column(ForeignKey("signed_document.id", ondelete="CASCADE"), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    document_type_code: Mapped[str] = mapped_column(String(60))
    # The warehouse paper being signed; None for the declaration rendered from the answers.
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    # A record of what was signed, not a hold on the file: the unsigned original may be erased (account closed).
    unsigned_sha256: Mapped[str] = mapped_column(String(64))
    # For the declaration: the digest of the answers it shows, so that a later change of answers asks for a
    # new signature instead of leaving a signed declaration that says something else.
    answers_sha256: Mapped[str | None] = mapped_column(String(64))
