"""Reading the catalogue: procedures by address, their documents and agencies, filter choices."""

from sqlalchemy import func, select

from onestop.errors import NotFound
from onestop.extensions import db
from onestop.procedures.models import DocumentType, Procedure, ProcedureAgency, Sector
from onestop.provinces.models import Agency, Province


def get_procedure(province: Province, slug: str) -> Procedure:
    procedure = db.session.scalar(
        select(Procedure).where(Procedure.province_id == province.id, Procedure.slug == slug, Procedure.is_active)
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


def sectors_with_counts(province: Province) -> list[tuple[Sector, int]]:
    rows = db.session.execute(
        select(Sector, func.count(Procedure.id))
        .join(Procedure, Procedure.sector_id == Sector.id)
        .where(Sector.province_id == province.id, Procedure.is_active)
        .group_by(Sector.id)
        .order_by(Sector.code)
    ).all()
    return [(sector, count) for sector, count in rows]


def agencies_with_procedures(province: Province) -> list[Agency]:
    return list(
        db.session.scalars(
            select(Agency)
            .where(
                Agency.province_id == province.id,
                Agency.is_active,
                Agency.id.in_(
                    select(ProcedureAgency.agency_id)
                    .join(Procedure, Procedure.id == ProcedureAgency.procedure_id)
                    .where(Procedure.is_active)
                ),
            )
            .order_by(Agency.code)
        )
    )
