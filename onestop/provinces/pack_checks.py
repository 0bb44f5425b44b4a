"""Checks across a pack's files, once each file fits its model: references between files (agencies,
staff, document types, sectors), forms and fees. Where procedures are received and how they are processed is
checked in pack_route_checks.py. Each check adds Problems naming the file and line; onestop/provinces/pack.py
runs them in read_pack.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from onestop.accounts.models import Role
from onestop.payments.fees import FeeSchedule
from onestop.procedures.formspec import FormSpec, form_problems
from onestop.provinces.pack_schema import (
    Lines,
    Problem,
)


def _duplicates(items: list, key, name: str, lines: Lines, path: str, problems: list[Problem], message) -> None:
    seen: set = set()
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            problems.append(Problem(name, lines.line_for((path, index)), message(value)))
        seen.add(value)


def check_references(
    agencies_file,
    agency_lines,
    staff_file,
    staff_lines,
    calendar,
    calendar_lines,
    catalogue,
    catalogue_lines,
    procedures,
    problems,
) -> None:
    agency_codes: set[str] = set()
    if agencies_file is not None:
        agencies = agencies_file.agencies
        agency_codes = {a.code for a in agencies}
        _duplicates(
            agencies,
            lambda a: a.code,
            "agencies.yaml",
            agency_lines,
            "agencies",
            problems,
            lambda code: _("The agency code %(code)s is used twice.", code=code),
        )
        parents = {a.code: a.parent for a in agencies}
        for index, agency in enumerate(agencies):
            line = agency_lines.line_for(("agencies", index, "parent"))
            if agency.parent and agency.parent not in agency_codes:
                problems.append(
                    Problem(
                        "agencies.yaml", line, _("The parent agency %(code)s is not in this file.", code=agency.parent)
                    )
                )
            seen, current = {agency.code}, agency.parent
            while current in parents:
                if current in seen:
                    problems.append(
                        Problem("agencies.yaml", line, _("The agency %(code)s is its own ancestor.", code=agency.code))
                    )
                    break
                seen.add(current)
                current = parents[current]

    if staff_file is not None:
        _duplicates(
            staff_file.staff,
            lambda s: s.email,
            "staff.yaml",
            staff_lines,
            "staff",
            problems,
            lambda email: _("The e-mail %(email)s is used by two staff members.", email=email),
        )
        _duplicates(
            staff_file.staff,
            lambda s: s.phone or s.email,
            "staff.yaml",
            staff_lines,
            "staff",
            problems,
            lambda phone: _("The phone number %(phone)s is used by two staff members.", phone=phone),
        )
        for index, person in enumerate(staff_file.staff):
            line = staff_lines.line_for(("staff", index, "agency"))
            if person.agency is None and person.role != Role.PROVINCE_ADMIN:
                problems.append(
                    Problem("staff.yaml", line, _("Staff with the role %(role)s need an agency.", role=person.role))
                )
            elif person.agency and agency_codes and person.agency not in agency_codes:
                problems.append(
                    Problem("staff.yaml", line, _("The agency %(code)s is not in agencies.yaml.", code=person.agency))
                )

    if calendar is not None:
        seen_days: dict[date, str] = {}
        for section in ("holidays", "days_off", "working_days"):
            for index, entry in enumerate(getattr(calendar, section)):
                if entry.date in seen_days:
                    problems.append(
                        Problem(
                            "calendar.yaml",
                            calendar_lines.line_for((section, index)),
                            _("The date %(date)s is listed twice.", date=entry.date.isoformat()),
                        )
                    )
                seen_days[entry.date] = section
                if section == "working_days" and entry.date.weekday() < 5:
                    problems.append(
                        Problem(
                            "calendar.yaml",
                            calendar_lines.line_for((section, index)),
                            _(
                                "%(date)s is already a weekday; only a weekend day can be made a working day.",
                                date=entry.date.isoformat(),
                            ),
                        )
                    )

    sector_codes: set[str] = set()
    document_codes: set[str] = set()
    if catalogue is not None:
        sector_codes = {s.code for s in catalogue.sectors}
        document_codes = {d.code for d in catalogue.document_types}
        _duplicates(
            catalogue.sectors,
            lambda s: s.code,
            "catalogue.yaml",
            catalogue_lines,
            "sectors",
            problems,
            lambda code: _("The sector code %(code)s is used twice.", code=code),
        )
        _duplicates(
            catalogue.document_types,
            lambda d: d.code,
            "catalogue.yaml",
            catalogue_lines,
            "document_types",
            problems,
            lambda code: _("The document type %(code)s is used twice.", code=code),
        )

    seen_codes: dict[str, str] = {}
    seen_slugs: dict[str, str] = {}
    for procedure, name, lines in procedures:
        if procedure.code in seen_codes:
            problems.append(
                Problem(
                    name,
                    lines.line_for(("code",)),
                    _(
                        "The procedure code %(code)s is also used in %(other)s.",
                        code=procedure.code,
                        other=seen_codes[procedure.code],
                    ),
                )
            )
        seen_codes[procedure.code] = name
        slug = procedure.slug_or_default()
        if slug in seen_slugs:
            problems.append(
                Problem(
                    name,
                    lines.line_for(("slug",)),
                    _(
                        "The web address %(slug)s is also used in %(other)s; give one of them a slug.",
                        slug=slug,
                        other=seen_slugs[slug],
                    ),
                )
            )
        seen_slugs[slug] = name
        if sector_codes and procedure.sector not in sector_codes:
            problems.append(
                Problem(
                    name,
                    lines.line_for(("sector",)),
                    _("The sector %(code)s is not in catalogue.yaml.", code=procedure.sector),
                )
            )
        for key, codes in (
            ("receiving_agency", [procedure.receiving_agency] if procedure.receiving_agency else []),
            ("processing_agencies", procedure.processing_agencies),
        ):
            for index, code in enumerate(codes):
                loc = (key,) if key == "receiving_agency" else (key, index)
                if agency_codes and code not in agency_codes:
                    problems.append(
                        Problem(name, lines.line_for(loc), _("The agency %(code)s is not in agencies.yaml.", code=code))
                    )
        for index, document in enumerate(procedure.documents):
            if catalogue is not None and document.type not in document_codes:
                problems.append(
                    Problem(
                        name,
                        lines.line_for(("documents", index, "type")),
                        _("The document type %(code)s is not in catalogue.yaml.", code=document.type),
                    )
                )
        if procedure.processing_time.same_day_cutoff and procedure.processing_time.working_days:
            problems.append(
                Problem(
                    name,
                    lines.line_for(("processing_time", "same_day_cutoff")),
                    _("A same-day cut-off only applies when working_days is 0."),
                )
            )


def form_messages() -> dict[str, str]:
    return {
        "condition_test": _("A condition needs exactly one of: equals, not_equals, one_of."),
        "bad_pattern": _("This pattern is not a valid regular expression."),
        "choice_options": _("A choice field needs at least two options."),
        "options_only_for_choice": _("Only a choice field can have options."),
        "group_fields": _("A repeating group needs its own fields."),
        "nested_group": _("A repeating group cannot contain another group."),
        "group_items": _("min_items cannot be larger than max_items."),
        "fields_only_for_group": _("Only a group field can have fields of its own."),
        "duplicate_step": _("Two steps of this form have the same id."),
        "duplicate_field": _("Two fields of this form have the same id."),
        "unknown_condition_field": _("A condition can only name a field asked before it."),
        "address_without_units": _("An address field needs the list of administrative units in units.yaml."),
    }


def fee_messages() -> dict[str, str]:
    return {
        "duplicate_fee_item": _("Two fee items have the same id."),
        "unknown_fee_item": _("This names a fee item that is not in items."),
        "fixed_amount_above_item": _("A fixed amount for an exemption cannot be more than the item's own amount."),
        "online_amount_items": _("With several fee items, say which items the online reduction applies to."),
        "exemption_effect": _("An exemption needs exactly one of: free, reduction_percent, fixed_amount."),
        "online_reduction_effect": _("The online reduction needs exactly one of: percent, amount."),
        "fee_unknown_field": _("A fee can only depend on a question of this procedure's form."),
        "fee_per_not_number": _("A fee can only be counted from a number question."),
        "fee_without_form": _("A fee that depends on answers needs the procedure to have a form."),
    }


def _fee_problems(fees: FeeSchedule, form: FormSpec | None) -> list[tuple[tuple, str]]:
    """Fee conditions and counted answers must name questions the form asks (counted ones: numbers)."""
    fields = {spec.id: spec for _step, spec in form.all_fields()} if form else {}
    reason_missing = "fee_unknown_field" if form else "fee_without_form"
    found: list[tuple[tuple, str]] = []
    for index, item in enumerate(fees.items):
        if item.per is not None:
            spec = fields.get(item.per.field)
            if spec is None:
                found.append((("fees", "items", index, "per", "field"), reason_missing))
            elif spec.type != "number":
                found.append((("fees", "items", index, "per", "field"), "fee_per_not_number"))
        if item.when is not None and item.when.field not in fields:
            found.append((("fees", "items", index, "when", "field"), reason_missing))
    for index, exemption in enumerate(fees.exemptions):
        if exemption.when.field not in fields:
            found.append((("fees", "exemptions", index, "when", "field"), reason_missing))
    return found


def check_forms(procedures, units_file, units_lines, problems: list[Problem]) -> None:
    messages = form_messages()
    if units_file is not None:
        seen: set[str] = set()

        def walk(units, path):
            for index, unit in enumerate(units):
                if unit.code in seen:
                    problems.append(
                        Problem(
                            "units.yaml",
                            units_lines.line_for((*path, index)),
                            _("The unit code %(code)s is used twice.", code=unit.code),
                        )
                    )
                seen.add(unit.code)
                walk(unit.children, (*path, index, "children"))

        walk(units_file.units, ("units",))
    has_units = bool(units_file and units_file.units)
    fee_words = fee_messages()
    for procedure, name, lines in procedures:
        if procedure.fees is not None:
            for loc, reason in _fee_problems(procedure.fees, procedure.form):
                problems.append(Problem(name, lines.line_for(loc), fee_words[reason]))
        if procedure.form is None:
            continue
        conditions = [
            (("documents", index, "required_when"), document.required_when)
            for index, document in enumerate(procedure.documents)
            if document.required_when
        ]
        for loc, reason in form_problems(procedure.form, conditions):
            problems.append(Problem(name, lines.line_for(loc), messages[reason]))
        if not has_units:
            for s_index, step in enumerate(procedure.form.steps):
                for f_index, spec in enumerate(step.fields):
                    inner = [spec, *spec.fields]
                    if any(f.type == "address" for f in inner):
                        loc = ("form", "steps", s_index, "fields", f_index)
                        problems.append(Problem(name, lines.line_for(loc), messages["address_without_units"]))
