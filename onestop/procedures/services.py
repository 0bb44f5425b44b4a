"""Reading the catalogue: a procedure by its address and the document types it asks for."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from onestop.errors import NotFound
from onestop.extensions import db
from onestop.procedures.models import DocumentType, Procedure
from onestop.provinces.models import Province


def get_procedure(province: Province, slug: str) -> Procedure:
    procedure = db.session.scalar(
        select(Procedure)
        .where(Procedure.province_id == province.id, Procedure.slug == slug, Procedure.is_active)
        .options(joinedload(Procedure.sector), joinedload(Procedure.receiving_agency), selectinload(Procedure.agencies))
    )
    if procedure is None:
        raise NotFound()
    return procedure


def document_types_for(procedure: Procedure) -> dict[str, DocumentType]:
    codes = [doc["type"] for doc in procedure.definition.get("documents", [])]
    if not codes:
        return {}
    rows = db.session.scalars(
        select(DocumentType).where(DocumentType.province_id == procedure.province_id, DocumentType.code.in_(codes))
    )
    return {row.code: row for row in rows}
