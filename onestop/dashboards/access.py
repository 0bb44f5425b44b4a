"""Who sees which figures: authorisation lives here, in the service, not in templates.

A leader or an agency administrator sees their own agency; a province administrator sees the province
and each of its agencies. Anyone else on staff is refused; an agency outside the reader's reach is
"not found", so that its existence is not confirmed to someone who may not see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import load_only

from onestop.accounts.models import Role, User
from onestop.errors import NotAllowed, NotFound
from onestop.extensions import db
from onestop.provinces.models import Agency, Province

AGENCY_ROLES = frozenset({Role.LEADER, Role.AGENCY_ADMIN})


@dataclass(frozen=True)
class Scope:
    province: Province
    agency: Agency | None  # None: the whole province
    agency_ids: list[int]
    # The province's agencies, read once with the scope (empty for one agency's scope).
    agencies: tuple[Agency, ...] = ()

    @property
    def agency_id(self) -> int | None:
        return self.agency.id if self.agency else None


def may_see_dashboards(user: User) -> bool:
    return user.is_authenticated and (user.role_enum in AGENCY_ROLES or user.role_enum is Role.PROVINCE_ADMIN)


def is_province_reader(user: User) -> bool:
    return user.role_enum is Role.PROVINCE_ADMIN


def _province_scope(province: Province) -> Scope:
    # Only what the pages show of each agency (not its opening hours or served areas, JSON to decode).
    listed = load_only(Agency.id, Agency.province_id, Agency.code, Agency.name, Agency.kind, Agency.is_active)
    agencies = tuple(
        db.session.scalars(
            select(Agency).options(listed).where(Agency.province_id == province.id).order_by(Agency.code)
        )
    )
    return Scope(province, None, [agency.id for agency in agencies], agencies)


def _province_of(user: User, province_id: int, served: Province | None) -> Province:
    """The reader's province: the served one's snapshot when it is theirs (no database round trip)."""
    if served is not None and served.id == province_id:
        return served
    return db.session.get(Province, province_id)


def scope_for(user: User, agency_id: int | None, served: Province | None = None) -> Scope:
    """The figures `user` asked for (an agency, or the province when None), or NotAllowed / NotFound.
    `served` is the province this installation serves (a read-only snapshot), used when it is the reader's."""
    if not user.is_authenticated or not may_see_dashboards(user):
        raise NotAllowed(_("Only leaders and administrators see the dashboards."))
    if user.role_enum is Role.PROVINCE_ADMIN:
        if user.province_id is None:
            raise NotAllowed(_("Your account is not attached to a province."))
        province = _province_of(user, user.province_id, served)
        if agency_id is None:
            return _province_scope(province)
        agency = db.session.get(Agency, agency_id)
        if agency is None or agency.province_id != province.id:
            raise NotFound(_("There is no such agency in your province."))
        return Scope(province, agency, [agency.id])
    own = user.agency
    if own is None:
        raise NotAllowed(_("Your account is not attached to an agency."))
    if agency_id is not None and agency_id != own.id:
        raise NotFound(_("There is no such agency among those you may see."))
    return Scope(_province_of(user, own.province_id, served), own, [own.id])


def public_scope(province: Province, agency_id: int | None) -> Scope:
    """The public statistics: the province, or one of its active agencies (anyone may read them)."""
    if agency_id is None:
        return _province_scope(province)
    agency = db.session.get(Agency, agency_id)
    if agency is None or agency.province_id != province.id or not agency.is_active:
        raise NotFound(_("There is no such agency."))
    return Scope(province, agency, [agency.id])


def agencies_of(scope: Scope) -> list[Agency]:
    return list(scope.agencies) if scope.agency is None else [scope.agency]
