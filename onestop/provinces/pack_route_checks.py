"""Checks of where each procedure is received and how it is processed: the agencies' served areas, the
receiving rules (fixed, by the applicant's address, any of) and the processing routes (steps, owners,
parallel groups, budgets), each problem named with its file and line; onestop/provinces/pack.py runs them.
"""

from __future__ import annotations

from flask_babel import gettext as _

from onestop.procedures import route as routes
from onestop.provinces.pack_procedure_schema import ByAddressEntry, ParallelEntry, RouteStepEntry
from onestop.provinces.pack_schema import (
    AgencyEntry,
    Lines,
    Problem,
    ProvinceFile,
    UnitEntry,
)


def route_messages() -> dict[str, str]:
    return {
        "budget_unit": _("A budget needs exactly one of: working_days, working_hours."),
        "receiving_rule": _("“receiving” needs exactly one of: by_address, any_of."),
    }


def _unit_tree(units: list[UnitEntry]) -> list[dict]:
    return [unit.model_dump(mode="json") for unit in units]


def _unit_names(units: list[UnitEntry]) -> dict[str, str]:
    names: dict[str, str] = {}

    def walk(items: list[UnitEntry]) -> None:
        for unit in items:
            names[unit.code] = unit.name["vi"]
            walk(unit.children)

    walk(units)
    return names


def _serving(agencies: list[AgencyEntry]) -> list[routes.Serving]:
    return [routes.Serving(agency.code, agency.kind, tuple(agency.serves)) for agency in agencies]


def check_serves(agencies: list[AgencyEntry], lines: Lines, units: list[UnitEntry], problems: list[Problem]) -> None:
    known = _unit_names(units)
    for index, agency in enumerate(agencies):
        for position, code in enumerate(agency.serves):
            if code not in known:
                problems.append(
                    Problem(
                        "agencies.yaml",
                        lines.line_for(("agencies", index, "serves", position)),
                        _("The unit %(code)s is not in units.yaml.", code=code),
                    )
                )


def _uncovered(
    agencies: list[AgencyEntry], units: list[UnitEntry], level: str, kind: str
) -> tuple[list[str], list[str]]:
    """Units (at `level`) that no agency of `kind` serves, and units that two agencies serve equally."""
    names = _unit_names(units)
    serving = _serving(agencies)
    missing: list[str] = []
    doubled: list[str] = []
    for path in routes.unit_paths(_unit_tree(units)).values():
        unit = routes.deciding_unit(path, level)
        if unit is None:
            continue
        found = routes.servers_of(serving, path, level, kind)
        target = missing if not found else doubled if len(found) > 1 else None
        if target is not None and names[unit] not in target:
            target.append(names[unit])
    return missing, doubled


def check_receiving(procedure, name, lines, agencies: list[AgencyEntry], units: list[UnitEntry], problems) -> None:
    def report(loc: tuple, message: str) -> None:
        problems.append(Problem(name, lines.line_for(loc), message))

    if (procedure.receiving_agency is None) == (procedure.receiving is None):
        report(
            ("receiving",)
            if procedure.receiving
            else ("receiving_agency",)
            if procedure.receiving_agency
            else ("code",),
            _("Say who receives this procedure with exactly one of: receiving_agency, receiving."),
        )
        return
    if procedure.receiving is None:
        return
    codes = {agency.code for agency in agencies}
    for index, code in enumerate(procedure.receiving.any_of or []):
        if code not in codes:
            report(("receiving", "any_of", index), _("The agency %(code)s is not in agencies.yaml.", code=code))
        elif code in (procedure.receiving.any_of or [])[:index]:
            report(("receiving", "any_of", index), _("The agency %(code)s is listed twice.", code=code))
    rule = procedure.receiving.by_address
    if rule is None:
        return
    loc = ("receiving", "by_address")
    if not any(agency.kind == rule.agency_kind for agency in agencies):
        report((*loc, "agency_kind"), _("No agency in agencies.yaml is of the kind %(kind)s.", kind=rule.agency_kind))
    elif rule.level == "district" and all(len(path) < 3 for path in routes.unit_paths(_unit_tree(units)).values()):
        report((*loc, "level"), _("The units in units.yaml have no districts; receive by commune instead."))
    else:
        missing, doubled = _uncovered(agencies, units, rule.level, rule.agency_kind)
        if missing:
            report(
                (*loc, "agency_kind"),
                _(
                    "No agency of the kind %(kind)s serves %(units)s: add these units to an agency's serves list.",
                    kind=rule.agency_kind,
                    units=", ".join(missing),
                ),
            )
        if doubled:
            report(
                (*loc, "agency_kind"),
                _(
                    "Two agencies of the kind %(kind)s serve %(units)s equally: keep each unit in one serves list.",
                    kind=rule.agency_kind,
                    units=", ".join(doubled),
                ),
            )
    _check_address_field(procedure, rule.field, (*loc, "field"), report)


def _check_address_field(procedure, field_id: str, loc: tuple, report) -> None:
    """The address that decides the receiver must be asked first, always, so the agency is known early."""
    form = procedure.form
    spec = next((spec for _step, spec in form.all_fields() if spec.id == field_id), None) if form else None
    if spec is None or spec.type != "address":
        report(loc, _("%(field)s is not an address question of this procedure's form.", field=field_id))
    elif spec not in form.steps[0].fields or form.steps[0].when or spec.when or not spec.required:
        report(
            loc,
            _(
                "The address %(field)s decides who receives the file: ask it on the form's first step, "
                "always and as a required question.",
                field=field_id,
            ),
        )


def _hours_per_day(province: ProvinceFile) -> float:
    minutes = 0
    for period in province.working_hours:
        start_h, start_m = map(int, period.start.split(":"))
        end_h, end_m = map(int, period.end.split(":"))
        minutes += (end_h * 60 + end_m) - (start_h * 60 + start_m)
    return minutes / 60


def _route_entries(procedure) -> list[tuple[int, tuple, RouteStepEntry]]:
    """Every step of the route with its group and its place in the file."""
    found = []
    for index, entry in enumerate(procedure.route or []):
        if isinstance(entry, ParallelEntry):
            found.extend(
                (index, ("route", index, "parallel", inner), step) for inner, step in enumerate(entry.parallel)
            )
        else:
            found.append((index, ("route", index), entry))
    return found


def check_route(
    procedure, name, lines, province: ProvinceFile, agencies: list[AgencyEntry], units: list[UnitEntry], problems
) -> None:
    if procedure.route is None:
        return

    def report(loc: tuple, message: str) -> None:
        problems.append(Problem(name, lines.line_for(loc), message))

    entries = _route_entries(procedure)
    codes = {agency.code for agency in agencies}
    by_address = procedure.receiving.by_address if procedure.receiving is not None else None
    groups: dict[str, int] = {}
    for group, loc, step in entries:
        if step.step in groups:
            report((*loc, "step"), _("Two steps of this route are called %(step)s.", step=step.step))
        groups.setdefault(step.step, group)
        if step.agency and step.agency_kind:
            report((*loc, "agency"), _("A step is owned by an agency or by an agency kind, not both."))
        if step.agency and step.agency not in codes:
            report((*loc, "agency"), _("The agency %(code)s is not in agencies.yaml.", code=step.agency))
        if step.agency_kind:
            _check_step_kind(step.agency_kind, by_address, agencies, units, (*loc, "agency_kind"), report)
        if step.stage == routes.Stage.RECEPTION and loc != ("route", 0):
            report((*loc, "stage"), _("Only the route's first step can be a reception step."))
        for position, target in enumerate(step.send_back_to):
            if groups.get(target, group) >= group:
                report(
                    (*loc, "send_back_to", position),
                    _("%(step)s can only send the file back to a step that comes before it.", step=target)
                    if any(other.step == target for _g, _l, other in entries)
                    else _("There is no step %(step)s in this route.", step=target),
                )
    first = procedure.route[0]
    if isinstance(first, ParallelEntry) or first.stage != routes.Stage.RECEPTION:
        report(("route", 0), _("The route must start with one reception step."))
    stages = {step.stage for _group, _loc, step in entries}
    if not stages & {routes.Stage.APPROVAL, routes.Stage.DELIVERY}:
        report(("route",), _("The route needs an approval or a delivery step."))
    delivered = next((group for group, _loc, step in entries if step.stage == routes.Stage.DELIVERY), None)
    for group, loc, step in entries:
        if delivered is not None and group > delivered:
            report(
                (*loc, "step"),
                _("No path reaches %(step)s: the file is finished at the delivery step.", step=step.step),
            )
    _check_budgets(procedure, entries, province, report)


def _check_step_kind(kind: str, by_address: ByAddressEntry | None, agencies, units, loc: tuple, report) -> None:
    of_kind = [agency for agency in agencies if agency.kind == kind]
    if not of_kind:
        report(loc, _("No agency in agencies.yaml is of the kind %(kind)s.", kind=kind))
        return
    if len(of_kind) == 1:
        return
    # Several agencies of the kind: the one serving the applicant's ward takes the step.
    missing, doubled = _uncovered(agencies, units, by_address.level, kind) if by_address else ([], [])
    if not by_address or missing or doubled:
        report(
            loc,
            _(
                "Several agencies are of the kind %(kind)s: name one with agency, or receive by address "
                "and give each ward exactly one of them in serves.",
                kind=kind,
            ),
        )


def _check_budgets(procedure, entries, province: ProvinceFile, report) -> None:
    """The steps after reception (a parallel group counts its longest) must fit in the legal time."""
    per_day = _hours_per_day(province)
    legal_days = procedure.processing_time.working_days or 1  # a same-day procedure has one working day
    longest: dict[int, float] = {}
    for group, _loc, step in entries:
        if group == 0 or step.budget is None:
            continue
        longest[group] = max(longest.get(group, 0.0), step.budget.budget().in_hours(per_day))
    total = sum(longest.values())
    if total > legal_days * per_day:
        report(
            ("route",),
            _(
                "The route's budgets after reception add up to %(total)s working hours, more than the "
                "%(legal)s working hours (%(days)s working days of %(per_day)s hours) the procedure has by law.",
                total=f"{total:g}",
                legal=f"{legal_days * per_day:g}",
                days=legal_days,
                per_day=f"{per_day:g}",
            ),
        )
