"""Reading and validating a province pack: a folder of YAML files, checked whole before anything loads.

Every problem is reported with its file, line and a plain message, so that a province's staff can
fix their pack without reading code. See docs/province-packs.md for the format.
"""

from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    ValidationError,
)

from onestop.provinces.pack_checks import check_forms, check_references, fee_messages, form_messages
from onestop.provinces.pack_procedure_schema import ProcedureFile
from onestop.provinces.pack_route_checks import check_receiving, check_route, check_serves, route_messages
from onestop.provinces.pack_schema import (
    LOGO_TYPES,
    MAX_LOGO_BYTES,
    AgenciesFile,
    CalendarFile,
    CatalogueFile,
    Lines,
    Pack,
    PackInvalid,
    Problem,
    ProvinceFile,
    StaffFile,
    UnitsFile,
)

# What the rest of onestop reads from here; the files' models live in pack_schema.py.
__all__ = ["Pack", "PackInvalid", "Problem", "read_pack"]


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


def _record_lines(node: yaml.Node, path: tuple, lines: Lines) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            if child in lines:
                # YAML keeps the last of two equal keys silently; a pack author means one of them.
                lines.repeated_keys.append((key_node.value, key_node.start_mark.line + 1))
            lines[child] = key_node.start_mark.line + 1
            _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> tuple[Any, Lines] | None:
    name = str(path.relative_to(root))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(name, 1, _("This file is missing.")))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(name, 1, _("This file is not saved as UTF-8 text.")))
        return None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(name, 1, _("This file is empty.")))
            return None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(name, line, _("This is not valid YAML: %(detail)s", detail=exc.problem or "")))
        return None
    finally:
        loader.dispose()
    lines = Lines()
    _record_lines(node, (), lines)
    for key, line in lines.repeated_keys:
        problems.append(Problem(name, line, _("“%(name)s” is written twice here; keep one.", name=key)))
    return data, lines


def _plain_message(error: dict) -> str:
    kind = error["type"]
    loc = error["loc"]
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return _("“%(name)s” is required here.", name=name)
    if kind == "extra_forbidden":
        return _("“%(name)s” is not a known setting here; check its spelling.", name=name)
    if kind == "literal_error":
        return _("This value is not one of the allowed ones: %(allowed)s.", allowed=error["ctx"]["expected"])
    if kind == "string_pattern_mismatch":
        return _("“%(value)s” does not have the expected form.", value=error["input"])
    if kind in {"greater_than_equal", "less_than_equal"}:
        return _("This number is out of range.")
    if kind in {"too_short", "string_too_short"}:
        return _("This must not be empty.")
    if kind == "value_error":
        reason = str(error.get("ctx", {}).get("error", ""))
        if reason == "low_contrast":
            return _(
                "The colour %(value)s is too light to read against white; use a darker one (contrast 4.5:1 or more).",
                value=error["input"],
            )
        if reason == "period_order":
            return _("A working period must end after it starts.")
        if reason == "unknown_timezone":
            return _("“%(value)s” is not a known time zone, such as Asia/Ho_Chi_Minh.", value=error["input"])
        worded = {**form_messages(), **fee_messages(), **route_messages()}
        if reason in worded:
            return worded[reason]
        return _("This text needs a Vietnamese version (vi).")
    if kind == "string_too_long":
        return _("This text is too long (at most %(max)s characters).", max=error["ctx"]["max_length"])
    return error["msg"]


# Error types that mean "this value is not of the expected shape"; several at one place (one per
# alternative the schema allows) are one cause, reported once with every shape that would do.
_SHAPE_ERRORS = {
    "string_type": "text",
    "int_type": "number",
    "int_parsing": "number",
    "int_from_float": "number",
    "bool_type": "yes_no",
    "bool_parsing": "yes_no",
    "list_type": "list",
    "dict_type": "mapping",
    "model_type": "model",
    "model_attributes_type": "model",
    "date_type": "date",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
}


def _shape_words() -> dict[str, str]:
    return {
        "text": _("text"),
        "number": _("a whole number"),
        "yes_no": _("yes or no (true or false)"),
        "list": _("a list (one “- ” line per item)"),
        "mapping": _("a mapping (lines of “name: value”)"),
        "date": _("a date written as YYYY-MM-DD"),
    }


def _model_named(name: str) -> type[BaseModel] | None:
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        if model.__name__ == name:
            return model
        pending.extend(model.__subclasses__())
    return None


def _model_shape(error: dict) -> str:
    """A model's shape in plain words: a mapping, the settings it needs and those it may have."""
    model = _model_named(str(error.get("ctx", {}).get("class_name", "")))
    words = _shape_words()["mapping"]
    if model is None:
        return words
    required = [name for name, info in model.model_fields.items() if info.is_required()]
    shape = _("%(shape)s with the settings %(names)s", shape=words, names=", ".join(model.model_fields))
    if required:
        shape = _("%(shape)s (%(names)s required)", shape=shape, names=", ".join(required))
    if isinstance(error.get("input"), list) and "items" in model.model_fields:
        # The old list form of a schedule that is now a mapping: say where the list goes.
        shape = _("%(shape)s; here it is a list: put the list under “items:”", shape=shape)
    return shape


def _file_loc(loc: tuple, lines: Lines) -> tuple:
    """The part of an error's location that exists in the file (schema alternatives are not keys)."""
    kept: tuple = ()
    for part in loc:
        if (*kept, part) not in lines:
            break
        kept = (*kept, part)
    return kept


def _wrong_shape(loc: tuple, shapes: list[str]) -> str:
    words = _shape_words()
    if shapes == [words["number"]]:
        return _("This must be a whole number.")
    if shapes == [words["date"]]:
        return _("This must be a date written as YYYY-MM-DD.")
    name = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
    expected = (
        shapes[0] if len(shapes) == 1 else _("%(some)s or %(last)s", some=", ".join(shapes[:-1]), last=shapes[-1])
    )
    if not name:
        return _("This file has the wrong shape: expected %(expected)s.", expected=expected)
    return _("“%(name)s” has the wrong shape: expected %(expected)s.", name=name, expected=expected)


def _parse(model: type[BaseModel], data: Any, name: str, lines: Lines, problems: list[Problem]):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        shapes: dict[tuple, list[str]] = {}
        words = _shape_words()
        for error in exc.errors():
            # Pydantic adds tags, literal values or dict keys to loc; keep what exists in the file.
            loc = tuple(part for part in error["loc"] if not str(part).startswith("·"))
            shape = _SHAPE_ERRORS.get(error["type"])
            if shape is None:
                problems.append(Problem(name, lines.line_for(loc), _plain_message(error)))
                continue
            found = shapes.setdefault(_file_loc(loc, lines), [])
            described = _model_shape(error) if shape == "model" else words[shape]
            if described not in found:
                found.append(described)
        for loc, found in shapes.items():
            problems.append(Problem(name, lines.line_for(loc), _wrong_shape(loc, found)))
        return None


def read_pack(path: str | Path) -> Pack:
    """Read and validate a whole pack; raise PackInvalid listing every problem found."""
    root = Path(path).resolve()
    problems: list[Problem] = []
    if not root.is_dir():
        raise PackInvalid([Problem(str(path), 1, _("There is no pack folder here."))])

    def load(relative: str, model: type[BaseModel], optional: bool = False):
        file = root / relative
        if optional and not file.exists():
            return model(), Lines()
        read = _read_yaml(file, root, problems)
        if read is None:
            return None, Lines()
        data, lines = read
        return _parse(model, data, relative, lines, problems), lines

    province, _province_lines = load("province.yaml", ProvinceFile)
    agencies_file, agency_lines = load("agencies.yaml", AgenciesFile)
    staff_file, staff_lines = load("staff.yaml", StaffFile, optional=True)
    calendar, calendar_lines = load("calendar.yaml", CalendarFile, optional=True)
    catalogue, catalogue_lines = load("catalogue.yaml", CatalogueFile)
    units_file, units_lines = load("units.yaml", UnitsFile, optional=True)
    from onestop.provinces.pack_messages import FILE as MESSAGES_FILE
    from onestop.provinces.pack_messages import MessagesFile, check_messages

    messages_file, messages_lines = load(MESSAGES_FILE, MessagesFile, optional=True)
    if messages_file is not None:
        check_messages(messages_file, messages_lines, problems)
    # Help is its own domain; its file format lives there and refers back to this module.
    from onestop.help.packspec import HELP_FILE, HelpFile, check_help

    help_file, help_lines = load(HELP_FILE, HelpFile, optional=True)

    procedures: list[tuple[ProcedureFile, str, Lines]] = []
    procedure_dir = root / "procedures"
    files = sorted(procedure_dir.glob("*.yaml")) if procedure_dir.is_dir() else []
    for stray in sorted(procedure_dir.rglob("*")) if procedure_dir.is_dir() else []:
        if stray.is_file() and (stray.suffix != ".yaml" or stray.parent != procedure_dir):
            message = _("Only .yaml files directly in procedures/ are read; rename or move this file.")
            problems.append(Problem(str(stray.relative_to(root)), 1, message))
    if not files:
        problems.append(Problem("procedures/", 1, _("The pack has no procedure files (procedures/*.yaml).")))
    for file in files:
        relative = str(file.relative_to(root))
        read = _read_yaml(file, root, problems)
        if read is None:
            continue
        parsed = _parse(ProcedureFile, read[0], relative, read[1], problems)
        if parsed is not None:
            procedures.append((parsed, relative, read[1]))

    logo = logo_type = None
    if province is not None and province.branding.logo:
        logo_path = root / province.branding.logo
        line = _province_lines.line_for(("branding", "logo"))
        logo_type = LOGO_TYPES.get(logo_path.suffix.lower())
        if logo_type is None:
            problems.append(Problem("province.yaml", line, _("The logo must be an .svg or .png file.")))
        elif not logo_path.is_file():
            problems.append(
                Problem("province.yaml", line, _("The logo file %(file)s is missing.", file=province.branding.logo))
            )
        else:
            logo = logo_path.read_bytes()
            if len(logo) > MAX_LOGO_BYTES:
                problems.append(
                    Problem("province.yaml", line, _("The logo is larger than 50 KB; pages must stay light."))
                )

    check_references(
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
    )
    check_forms(procedures, units_file, units_lines, problems)
    if help_file is not None:
        check_help(help_file, help_lines, problems)
    from onestop.ratings.packspec import read_ratings

    ratings = read_ratings(root, {proc.code for proc, _name, _lines in procedures}, problems)
    from onestop.results.packspec import check_result_templates

    check_result_templates(root, procedures, problems)
    if province is not None and agencies_file is not None and units_file is not None:
        check_serves(agencies_file.agencies, agency_lines, units_file.units, problems)
        for procedure, name, lines in procedures:
            check_receiving(procedure, name, lines, agencies_file.agencies, units_file.units, problems)
            check_route(procedure, name, lines, province, agencies_file.agencies, units_file.units, problems)
    if problems:
        raise PackInvalid(problems)

    origins = {("procedure", proc.code): (name, 1) for proc, name, _lines in procedures}
    origins.update(
        {
            ("staff", entry.email): ("staff.yaml", staff_lines.line_for(("staff", i)))
            for i, entry in enumerate(staff_file.staff)
        }
    )
    return Pack(
        path=root,
        province=province,
        agencies=agencies_file.agencies,
        staff=staff_file.staff,
        calendar=calendar,
        catalogue=catalogue,
        procedures=[proc for proc, _name, _lines in procedures],
        logo=logo,
        logo_type=logo_type,
        origins=origins,
        units=units_file.units,
        messages=messages_file,
        help=help_file,
        ratings=ratings,
    )
