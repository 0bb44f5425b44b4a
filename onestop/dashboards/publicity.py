"""Publicity: procedures updated and published on time, from what onestop really records.

A procedure's pack entry names the decision that announced it (`announcement`: number and date); the
moment the version carrying that decision was first loaded is when it went live on this portal
(`procedure_version.created_at`). It was published on time when it went live on or before the
`publication_days`-th working day after the decision's date (the province's pack setting, default 5;
see docs/service-index.md). An announcement counts in the period its decision was signed in. A procedure
whose pack entry names no decision cannot be measured and is not counted.

An agency's procedures are those it receives or processes (`procedure_agency`). The read is one grouped
query over the procedure versions by their `announced_on` index, and the same rows give the figure and
the list behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, null, select, union_all
from sqlalchemy.orm import load_only

from onestop.dashboards.access import Scope
from onestop.extensions import db
from onestop.procedures.calendar import ProvinceCalendar
from onestop.procedures.models import Procedure, ProcedureAgency, ProcedureVersion


@dataclass(frozen=True)
class Announcement:
    procedure: Procedure
    number: str
    signed_on: date
    due_on: date
    # The local day the version carrying this decision went live on the portal.
    live_on: date

    @property
    def on_time(self) -> bool:
        return self.live_on <= self.due_on


@dataclass(frozen=True)
class ProcedureList:
    key: str
    title: object
    on_time: bool | None  # None: all announced; True / False: only those published on time / late


LISTS = {
    item.key: item
    for item in (
        ProcedureList("announced", _l("Procedures announced in the period"), None),
        ProcedureList("published_on_time", _l("Procedures published on time"), True),
        ProcedureList("published_late", _l("Procedures published late"), False),
    )
}


def publication_due(calendar: ProvinceCalendar, signed_on: date, working_days: int) -> date:
    """The `working_days`-th working day after the decision's day (the day itself not counted)."""
    day = signed_on
    for _ in range(working_days):
        day = calendar.next_working_day(day)
    return day


def scope_procedure_ids(scope: Scope):
    """The ids of the scope's procedures: the province's, or those the agency receives or processes."""
    if scope.agency is None:
        return select(Procedure.id).where(Procedure.province_id == scope.province.id)
    return select(ProcedureAgency.procedure_id).where(ProcedureAgency.agency_id.in_(scope.agency_ids))


def announcements(scope: Scope, first: date, last: date) -> list[Announcement] | None:
    """The announcements signed in the period for the scope's procedures; None when no procedure of the
    province names its announcing decision (nothing to measure)."""
    V = ProcedureVersion
    in_province = V.procedure_id.in_(select(Procedure.id).where(Procedure.province_id == scope.province.id))
    announced = (
        select(V.procedure_id, V.announcement_number, V.announced_on, func.min(V.created_at))
        .where(V.procedure_id.in_(scope_procedure_ids(scope)), V.announced_on >= first, V.announced_on <= last)
        .group_by(V.procedure_id, V.announcement_number, V.announced_on)
    )
    # One row of NULLs when any procedure of the province names its decision: "measured, maybe none in
    # this period" rather than "not measured", in the same statement.
    marker = select(null(), null(), null(), null()).where(exists().where(in_province, V.announced_on.is_not(None)))
    rows = db.session.execute(union_all(announced, marker)).all()
    if not rows:
        return None
    rows = [row for row in rows if row[0] is not None]
    if not rows:
        return []
    calendar = ProvinceCalendar.for_province(scope.province)
    procedures = {
        procedure.id: procedure
        for procedure in db.session.scalars(
            select(Procedure)
            .options(load_only(Procedure.id, Procedure.code, Procedure.name, Procedure.slug))
            .where(Procedure.id.in_({row[0] for row in rows}))
        )
    }
    found = [
        Announcement(
            procedure=procedures[procedure_id],
            number=number,
            signed_on=signed_on,
            due_on=publication_due(calendar, signed_on, scope.province.publication_days),
            live_on=_local_day(calendar, went_live),
        )
        for procedure_id, number, signed_on, went_live in rows
    ]
    return sorted(found, key=lambda item: (item.signed_on, item.procedure.code, item.number))


def _local_day(calendar: ProvinceCalendar, moment: datetime) -> date:
    return calendar.local(moment).date()


def totals(scope: Scope, first: date, last: date) -> dict:
    """`announced` and `published_on_time` for the index (both None when nothing can be measured)."""
    found = announcements(scope, first, last)
    if found is None:
        return {"announced": None, "published_on_time": None}
    return {"announced": len(found), "published_on_time": sum(item.on_time for item in found)}


def listed(item: ProcedureList, scope: Scope, first: date, last: date) -> list[Announcement]:
    found = announcements(scope, first, last) or []
    return [one for one in found if item.on_time is None or one.on_time is item.on_time]
