"""Procedure-level indicators: the scope's catalogue offered online, used online, its fees payable and paid
online, and the procedures published in the period with every part the law requires.

The national portal scores these per procedure, not per file (docs/service-index.md, "Procedure-level
indicators", gives each rule and where it comes from). A procedure counts for a period when it is live in
the catalogue (`is_active`: the pack still lists it) and its first version went live before the period
ended. It is offered online when it has a form to file through the portal (a procedure without one is
described here but filed on paper at the counter). It was used online when a file of it was filed online
in the period, and paid online when a file of it was paid through the gateway and decided in the period:
for an agency, files it received. Those two are one-row probes of partial indexes of `dashboard_fact`
(procedure, day, agency), in the one statement that reads the catalogue, so a page never scans the facts.

A procedure charges a fee when its pack schedule has an item with an amount; onestop takes fees only
through the payment gateway, so such a fee can be paid online when the procedure can be filed here and
the installation has a gateway configured (PAYMENT_PROVIDER and its settings).

Published: procedures whose version went live on this portal in the period (`procedure_version.created_at`,
as publicity.py reads it); complete: the last such version of each names all seven parts of Decree
63/2010/NĐ-CP art. 8(2). Whether a procedure has a form, charges a fee and which parts a version lacks are
worked out when the pack is loaded (onestop/procedures/parts.py): no page reads a procedure's JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, literal, select
from sqlalchemy.orm import load_only

from onestop import localtime
from onestop.dashboards.access import Scope
from onestop.dashboards.models import DashboardFact
from onestop.dashboards.publicity import scope_procedure_ids
from onestop.extensions import db
from onestop.payments.providers import provider_from_config
from onestop.procedures.models import OnlineLevel, Procedure, ProcedureVersion
from onestop.procedures.parts import PART_TITLES


@dataclass(frozen=True)
class CatalogueEntry:
    """One procedure of the scope's catalogue and what the period's indicators say of it (`procedure` is
    None where only the figures are wanted)."""

    offered_online: bool
    used_online: bool
    charges_fee: bool
    fee_payable_online: bool
    paid_online: bool
    procedure: Procedure | None = None

    @property
    def offer_title(self) -> str:
        if not self.offered_online:
            return _("At the counter only")
        if self.procedure.online_level == OnlineLevel.FULL:
            return _("Full-process online")
        return _("Partial online service")


@dataclass(frozen=True)
class Publication:
    """The last version of a procedure that went live in the period, and the parts its definition lacks."""

    procedure: Procedure
    version: int
    live_on: date
    missing: tuple[str, ...]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def missing_titles(self) -> str:
        return ", ".join(str(PART_TITLES[part]) for part in self.missing)


@dataclass(frozen=True)
class ProcedureList:
    key: str
    title: object
    # How a procedure gets into the list, in words shown above it.
    rule: object
    keeps: Callable
    # True: a list of publications (Publication); False: of catalogue entries (CatalogueEntry).
    lists_publications: bool = False


CATALOGUE_RULE = _l(
    "The procedures in the catalogue that went live before the end of the period. A procedure is offered online "
    "when it has a form to file through this portal; its fee can be paid online when it charges one, can be filed "
    "here and the portal has a payment gateway. Files count for the agency that received them."
)
PUBLISHED_RULE = _l(
    "The procedures whose version went live on this portal in the period. A procedure is published complete when "
    "that version names every part the law requires: name, steps, ways of filing, papers to file, time limit, "
    "who may file and the agency (Decree 63/2010/NĐ-CP, article 8(2))."
)

LISTS = {
    item.key: item
    for item in (
        ProcedureList("procedures_total", _l("Procedures in the catalogue"), CATALOGUE_RULE, lambda e: True),
        ProcedureList("procedures_online", _l("Procedures offered online"), CATALOGUE_RULE, lambda e: e.offered_online),
        ProcedureList(
            "procedures_counter_only",
            _l("Procedures offered only at the counter"),
            CATALOGUE_RULE,
            lambda e: not e.offered_online,
        ),
        ProcedureList(
            "online_procedures_used",
            _l("Online procedures with files filed online in the period"),
            CATALOGUE_RULE,
            lambda e: e.offered_online and e.used_online,
        ),
        ProcedureList(
            "online_procedures_unused",
            _l("Online procedures without any file filed online in the period"),
            CATALOGUE_RULE,
            lambda e: e.offered_online and not e.used_online,
        ),
        ProcedureList("fee_procedures", _l("Procedures that charge a fee"), CATALOGUE_RULE, lambda e: e.charges_fee),
        ProcedureList(
            "fee_procedures_online",
            _l("Procedures whose fee can be paid online"),
            CATALOGUE_RULE,
            lambda e: e.fee_payable_online,
        ),
        ProcedureList(
            "fee_procedures_not_payable_online",
            _l("Procedures whose fee cannot be paid online"),
            CATALOGUE_RULE,
            lambda e: e.charges_fee and not e.fee_payable_online,
        ),
        ProcedureList(
            "fee_procedures_paid",
            _l("Fee procedures with a fee paid online in the period"),
            CATALOGUE_RULE,
            lambda e: e.charges_fee and e.paid_online,
        ),
        ProcedureList(
            "fee_procedures_not_paid_online",
            _l("Fee procedures without any fee paid online in the period"),
            CATALOGUE_RULE,
            lambda e: e.charges_fee and not e.paid_online,
        ),
        ProcedureList(
            "procedures_published",
            _l("Procedures published in the period"),
            PUBLISHED_RULE,
            lambda p: True,
            lists_publications=True,
        ),
        ProcedureList(
            "procedures_complete",
            _l("Procedures published with every required part"),
            PUBLISHED_RULE,
            lambda p: p.is_complete,
            lists_publications=True,
        ),
        ProcedureList(
            "procedures_incomplete",
            _l("Procedures published with parts missing"),
            PUBLISHED_RULE,
            lambda p: not p.is_complete,
            lists_publications=True,
        ),
    )
}


def takes_fees_online() -> bool:
    """Whether this installation has a payment gateway configured: onestop takes fees through it and nowhere else."""
    try:
        provider_from_config(current_app.config)
    except (KeyError, ValueError):
        return False
    return True


def _bounds(scope: Scope, first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants where the period's first local day starts and the day after its last one starts."""
    zone = localtime.zone(scope.province)
    start = datetime.combine(first, time(0), tzinfo=zone)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)


def _in_scope(scope: Scope):
    if scope.agency is None:
        return Procedure.province_id == scope.province.id
    return Procedure.id.in_(scope_procedure_ids(scope))


def _first_file(day, flag, first: date, last: date, received_here: list):
    """Whether a file of the outer procedure has `flag` and its `day` in the period: the first entry of that
    procedure's partial index in the period. Asked as "the first such row, in the index's order" rather than
    EXISTS, so that no planner expects to meet one early in a scan of the table (PostgreSQL does when one
    procedure holds a large share of the files) or in the agency's index."""
    F = DashboardFact
    return (
        select(literal(1))
        .where(F.procedure_id == Procedure.id, flag, day >= first, day <= last, *received_here)
        .order_by(F.procedure_id, day)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def catalogue_statement(scope: Scope, first: date, last: date):
    """The scope's live procedures: whether each has a form and charges a fee, and whether a file of it was
    filed online / paid online in the period (one probe each, on the partial indexes)."""
    P, F, V = Procedure, DashboardFact, ProcedureVersion
    _start, end = _bounds(scope, first, last)
    # The province's files are all received by its agencies: only an agency's scope narrows the facts.
    received_here = [] if scope.agency is None else [F.agency_id.in_(scope.agency_ids)]
    used = _first_file(F.submitted_day, F.online, first, last, received_here)
    paid = _first_file(F.finished_day, F.paid_online, first, last, received_here)
    return select(P.has_form, P.charges_fee, used, paid).where(
        _in_scope(scope), P.is_active, exists().where(V.procedure_id == P.id, V.created_at < end)
    )


def catalogue(scope: Scope, first: date, last: date, with_procedures: bool = True) -> list[CatalogueEntry]:
    """The scope's live procedures with what the period says of each, in one statement (ordered by code);
    without their names and codes when only the figures are wanted."""
    P = Procedure
    statement = catalogue_statement(scope, first, last)
    if with_procedures:
        statement = (
            statement.add_columns(P).options(load_only(P.id, P.code, P.name, P.slug, P.online_level)).order_by(P.code)
        )
    gateway = takes_fees_online()
    return [
        CatalogueEntry(
            offered_online=has_form,
            used_online=has_form and bool(was_used),
            charges_fee=charges_fee,
            fee_payable_online=charges_fee and has_form and gateway,
            paid_online=charges_fee and bool(was_paid),
            procedure=procedure[0] if procedure else None,
        )
        for has_form, charges_fee, was_used, was_paid, *procedure in db.session.execute(statement)
    ]


def _last_versions(scope: Scope, first: date, last: date) -> dict[int, tuple]:
    """{procedure id: (number, went live, missing parts)} of the last version of each scope procedure that went
    live in the period."""
    V = ProcedureVersion
    start, end = _bounds(scope, first, last)
    statement = (
        select(V.procedure_id, V.number, V.created_at, V.missing_parts)
        .where(V.procedure_id.in_(scope_procedure_ids(scope)), V.created_at >= start, V.created_at < end)
        .order_by(V.procedure_id, V.number)
    )
    return {procedure_id: rest for procedure_id, *rest in db.session.execute(statement)}


def publications(scope: Scope, first: date, last: date) -> list[Publication]:
    """Each scope procedure whose version went live in the period, judged on the last such version."""
    last_versions = _last_versions(scope, first, last)
    if not last_versions:
        return []
    procedures = {
        procedure.id: procedure
        for procedure in db.session.scalars(
            select(Procedure)
            .options(load_only(Procedure.id, Procedure.code, Procedure.name, Procedure.slug))
            .where(Procedure.id.in_(last_versions))
        )
    }
    found = [
        Publication(
            procedure=procedures[procedure_id],
            version=number,
            live_on=localtime.today(scope.province, moment=went_live),
            missing=tuple(missing or ()),
        )
        for procedure_id, (number, went_live, missing) in last_versions.items()
    ]
    return sorted(found, key=lambda item: item.procedure.code)


def totals(scope: Scope, first: date, last: date) -> dict:
    """The procedure-level keys of the index's totals (docs/service-index.md, "Procedure-level indicators")."""
    entries = catalogue(scope, first, last, with_procedures=False)
    published = _last_versions(scope, first, last).values()
    return {
        "procedures_total": len(entries),
        "procedures_online": sum(e.offered_online for e in entries),
        "online_procedures_used": sum(e.used_online for e in entries),
        "fee_procedures": sum(e.charges_fee for e in entries),
        "fee_procedures_online": sum(e.fee_payable_online for e in entries),
        "fee_procedures_paid": sum(e.paid_online for e in entries),
        "procedures_published": len(published),
        "procedures_complete": sum(not missing for _number, _went_live, missing in published),
    }


def listed(item: ProcedureList, scope: Scope, first: date, last: date) -> list:
    found = publications(scope, first, last) if item.lists_publications else catalogue(scope, first, last)
    return [one for one in found if item.keeps(one)]
