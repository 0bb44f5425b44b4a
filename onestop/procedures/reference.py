"""Names and codes the filing pages read on every request, kept per process between pack loads.

Agencies (code, name, the time zone of their province), document types and procedure names only
change when a province pack is loaded. Reading them through the ORM on every upload and submission
cost four lazy loads, one of them a whole `Procedure` row with its JSON definition. Like the
catalogue index of onestop.procedures.search, each process keeps them as plain values, keyed by the
province's catalogue revision and load time: a pack load is seen within PROVINCE_CACHE_SECONDS
(the province snapshot's age), and a database rebuilt from scratch never serves stale values.
"""

import threading
from dataclasses import dataclass

from sqlalchemy import select

from onestop.extensions import db
from onestop.i18n import localized
from onestop.procedures.models import DocumentType, Procedure
from onestop.provinces.models import Agency, Province

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class AgencyFacts:
    id: int
    province_id: int
    code: str
    name: dict
    timezone: str

    def display_name(self) -> str:
        return localized(self.name)


@dataclass(frozen=True)
class Reference:
    agencies: dict[int, AgencyFacts]
    document_types: dict[tuple[int, str], dict]  # (province id, code) -> name
    procedures: dict[int, dict]  # id -> name


_cached: dict[int, tuple[tuple, Reference]] = {}
_lock = threading.Lock()


def reference() -> Reference:
    """The served province's reference values, read again after each pack load."""
    from onestop.portal.context import current_province

    province = current_province()
    key = (province.catalogue_revision, province.loaded_at)
    cached = _cached.get(province.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    loaded = _load(province.id)
    with _lock:
        _cached[province.id] = (key, loaded)
    return loaded


def _agencies(condition) -> dict[int, AgencyFacts]:
    rows = db.session.execute(
        select(Agency.id, Agency.province_id, Agency.code, Agency.name, Province.timezone)
        .join(Province, Province.id == Agency.province_id)
        .where(condition)
    )
    return {
        row.id: AgencyFacts(row.id, row.province_id, row.code, row.name, row.timezone or DEFAULT_TIMEZONE)
        for row in rows
    }


def _load(province_id: int) -> Reference:
    agencies = _agencies(Agency.province_id == province_id)
    document_types = {
        (province_id, code): name
        for code, name in db.session.execute(
            select(DocumentType.code, DocumentType.name).where(DocumentType.province_id == province_id)
        )
    }
    procedures = dict(
        db.session.execute(select(Procedure.id, Procedure.name).where(Procedure.province_id == province_id)).all()
    )
    return Reference(agencies, document_types, procedures)


def agency(agency_id: int) -> AgencyFacts:
    """An agency's code, name and time zone; read from the database if another province's."""
    found = reference().agencies.get(agency_id)
    if found is not None:
        return found
    return _agencies(Agency.id == agency_id)[agency_id]


def procedure_name(procedure: int) -> str:
    """The procedure's name in the request's language."""
    name = reference().procedures.get(procedure)
    if name is None:
        name = db.session.scalar(select(Procedure.name).where(Procedure.id == procedure))
    return localized(name)


def document_type_name(province_id: int, code: str) -> str | None:
    """The name of the province's document type in the request's language; None if it has none."""
    name = reference().document_types.get((province_id, code))
    if name is None:
        name = db.session.scalar(
            select(DocumentType.name).where(DocumentType.province_id == province_id, DocumentType.code == code)
        )
    return localized(name) if name is not None else None


def forget() -> None:
    """Read everything afresh on the next request (tests)."""
    with _lock:
        _cached.clear()
