"""Reading the catalogue: a procedure by its address, the document types it asks for, who receives it."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from onestop.errors import NotFound
from onestop.extensions import db
from onestop.procedures import route
from onestop.procedures.models import DocumentType, Procedure, ProcedureAgency
from onestop.provinces.models import Agency, Province


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


@dataclass(frozen=True)
class WhoReceives:
    """Who receives a procedure's files, as the catalogue page says it."""

    sentence: str  # empty when one agency receives every file
    agencies: list[tuple[Agency, list[str]]]  # each agency with the wards or districts it receives for


def who_receives(procedure: Procedure) -> WhoReceives:
    rule = route.rule_of(procedure.definition)
    if rule.is_fixed:
        return WhoReceives("", [(procedure.receiving_agency, [])])
    if rule.kind == "any_of":
        sentence = _("You choose one of these agencies when you file:")
    elif rule.level == "district":
        sentence = _("The agency of the district where you live receives it:")
    else:
        sentence = _("The agency of the commune or ward where you live receives it:")
    names = {code: name for code, name, _above in procedure.province.address_units()}
    grouped: dict[int, tuple[Agency, list[str]]] = {}
    for unit, agency in route.receivers(rule, procedure.province):
        units = grouped.setdefault(agency.id, (agency, []))[1]
        if unit:
            units.append(names.get(unit, unit))
    return WhoReceives(sentence, list(grouped.values()))


def procedures_received_at(agency: Agency) -> list[Procedure]:
    """Active procedures this agency receives files of, for someone at least: what its counter may file."""
    linked = db.session.scalars(
        select(Procedure)
        .join(ProcedureAgency, ProcedureAgency.procedure_id == Procedure.id)
        .where(ProcedureAgency.agency_id == agency.id, Procedure.is_active.is_(True))
        .order_by(Procedure.code)
    )
    return [
        procedure
        for procedure in linked
        if route.may_receive(route.rule_of(procedure.definition), procedure.province, agency.id)
    ]
