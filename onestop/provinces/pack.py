"""Reading and validating a province pack: a folder of YAML files, checked whole before anything loads.

Every problem is reported with its file, line and a plain message, so that a province's staff can
fix their pack without reading code. See docs/province-packs.md for the format.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from onestop.accounts.models import Role
from onestop.payments.fees import FeeSchedule
from onestop.procedures import route as routes
from onestop.procedures.formspec import Condition, FormSpec, Identifier, form_problems
from onestop.text import fold

AGENCY_CODE = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
MAX_LOGO_BYTES = 50_000


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


# The same message in more places than this is shown this many times, then counted: a pack with one
# mistake copied into hundreds of files gets a short list, not a flood.
SAME_PROBLEM_SHOWN = 5


def _without_flood(problems: list[Problem]) -> list[Problem]:
    by_message: dict[str, list[Problem]] = {}
    for problem in sorted(set(problems)):
        by_message.setdefault(problem.message, []).append(problem)
    kept = []
    for message, found in by_message.items():
        kept.extend(found[:SAME_PROBLEM_SHOWN])
        if len(found) > SAME_PROBLEM_SHOWN:
            more = found[SAME_PROBLEM_SHOWN]
            kept.append(
                Problem(
                    more.file,
                    more.line,
                    _(
                        "The same problem is in %(count)d more places from here on: %(message)s",
                        count=len(found) - SAME_PROBLEM_SHOWN,
                        message=message,
                    ),
                )
            )
    return sorted(kept)


class PackInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = _without_flood(problems)


def _local_text(value: Any) -> Any:
    """Pack text is either plain Vietnamese or a mapping of language code to text."""
    if isinstance(value, str):
        return {"vi": value}
    return value


Text = Annotated[
    dict[Literal["vi", "en"], Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]],
    BeforeValidator(_local_text),
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
AgencyCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=AGENCY_CODE)]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _require_vietnamese(value: dict) -> dict:
    if "vi" not in value:
        raise ValueError("needs a Vietnamese text (vi)")
    return value


def contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of a #rrggbb colour against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def _readable_on_white(colour: str) -> str:
    # White text sits on the primary colour and the accent marks text: both need WCAG AA contrast.
    if contrast_with_white(colour) < 4.5:
        raise ValueError("low_contrast")
    return colour


class Branding(Strict):
    primary_colour: Annotated[Colour, AfterValidator(_readable_on_white)]
    accent_colour: Annotated[Colour, AfterValidator(_readable_on_white)]
    logo: str | None = None


class Contact(Strict):
    address: str = ""
    phone: str = ""
    hotline: str = ""
    email: str = ""
    website: str = ""


class WorkingPeriod(Strict):
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingPeriod":
        if self.start >= self.end:
            raise ValueError("period_order")
        return self


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown_timezone") from None
    return name


class ProvinceFile(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,10}$")]
    identifier: AgencyCode
    name: Text
    short_name: Text
    timezone: Annotated[str, AfterValidator(_known_timezone)] = "Asia/Ho_Chi_Minh"
    working_hours: list[WorkingPeriod] = Field(min_length=1)
    cutoff_time: Clock = "15:00"
    # Working days an agency has to answer feedback, a question or a complaint (onestop/feedback).
    feedback_days: Annotated[int, Field(ge=1, le=60, strict=True)] = 10
    # Working days after a procedure's announcing decision by which it must be live on the portal
    # (the dashboards' "published on time"; docs/service-index.md says why 5 is only a default).
    publication_days: Annotated[int, Field(ge=1, le=60, strict=True)] = 5
    # Whether any signed-in person, not only staff, may build surveys of their own (onestop/surveys).
    citizen_surveys: Annotated[bool, Field(strict=True)] = False
    branding: Branding
    contact: Contact = Contact()

    _vi = field_validator("name", "short_name")(_require_vietnamese)


def _limited(n: int):
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=n)]


class AgencyEntry(Strict):
    code: AgencyCode
    name: Text
    kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    parent: AgencyCode | None = None
    address: _limited(300) = ""
    phone: _limited(40) = ""
    email: _limited(200) = ""
    # Plain Vietnamese (as packs first wrote it) or {vi, en}; left out, the province's working hours are shown.
    opening_hours: Annotated[dict[Literal["vi", "en"], _limited(200)], BeforeValidator(_local_text)] = {}
    # The administrative units (codes of units.yaml) whose residents this agency receives, for
    # procedures received by the applicant's address; a unit covers every unit under it.
    serves: list[Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,10}$")]] = []

    _vi = field_validator("name")(_require_vietnamese)


class AgenciesFile(Strict):
    agencies: list[AgencyEntry] = Field(min_length=1)


STAFF_ROLES = tuple(role.value for role in Role if role is not Role.CITIZEN)


def _mobile(value: Any) -> Any:
    if isinstance(value, int):
        value = f"0{value}"
    if isinstance(value, str):
        from onestop.accounts.services import normalise_phone

        return normalise_phone(value)
    return value


class StaffEntry(Strict):
    email: Annotated[
        str,
        StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    ]
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    role: Literal[STAFF_ROLES]  # type: ignore[valid-type]
    agency: AgencyCode | None = None
    # A Vietnamese mobile number, stored as the ten digits people sign in with.
    phone: Annotated[str, BeforeValidator(_mobile), StringConstraints(pattern=r"^0\d{9}$")] | None = None


class StaffFile(Strict):
    staff: list[StaffEntry] = []


class CalendarEntry(Strict):
    date: date
    name: Text
    source: _limited(300) = ""


class CalendarFile(Strict):
    holidays: list[CalendarEntry] = []
    days_off: list[CalendarEntry] = []
    working_days: list[CalendarEntry] = []


class SectorEntry(Strict):
    code: Code
    name: Text


class DocumentTypeEntry(Strict):
    code: Code
    name: Text
    description: Text | None = None


class CatalogueFile(Strict):
    sectors: list[SectorEntry] = Field(min_length=1)
    document_types: list[DocumentTypeEntry] = []


class DocumentEntry(Strict):
    type: Code
    required: bool = True
    # Required only when an answer calls for it (e.g. an authorisation when filing for someone else).
    required_when: Condition | None = None
    note: Text | None = None
    # How many files may be attached for this paper (pages photographed one by one); unset: 10.
    max_files: int | None = Field(default=None, ge=1, le=50)


class ProcessingTime(Strict):
    working_days: Annotated[int, Field(ge=0, le=365, strict=True)]
    # Same-day procedures: received after this time, the result comes the next working day.
    same_day_cutoff: Clock | None = None


class ResultEntry(Strict):
    name: Text
    delivery: list[Literal["online", "counter", "post"]] = Field(min_length=1)
    description: Text | None = None
    # What the public postal service charges to bring the result home (VND), shown when the citizen chooses it.
    post_fee: Annotated[int, Field(ge=0, le=10_000_000, strict=True)] | None = None


class ResultFieldEntry(Strict):
    """A variable field of a result template: filled from an answer or a default, corrected by the specialist."""

    id: Identifier
    label: Text
    source: Identifier | None = None  # a field of the procedure's form whose answer fills it
    default: Annotated[str, StringConstraints(max_length=2000)] | None = None
    multiline: bool = False


class ResultTemplateEntry(Strict):
    """The result's page: an HTML file inside the pack (its text is stored with each procedure version)."""

    file: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_./-]+\.html$")]
    fields: list[ResultFieldEntry] = []
    # How long the issued paper is valid, counted from the day it is signed; unset: no end.
    valid_days: Annotated[int, Field(ge=1, le=36500, strict=True)] | None = None


class FaqEntry(Strict):
    question: Text
    answer: Text


class BudgetEntry(Strict):
    working_days: Annotated[int, Field(ge=0, le=365, strict=True)] | None = None
    working_hours: Annotated[int, Field(ge=0, le=2000, strict=True)] | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> "BudgetEntry":
        if (self.working_days is None) == (self.working_hours is None):
            raise ValueError("budget_unit")
        return self

    def budget(self) -> routes.Budget:
        return routes.Budget(days=self.working_days, hours=self.working_hours)


STEP_ROLES = (Role.CLERK.value, Role.SPECIALIST.value, Role.LEADER.value)


class RouteStepEntry(Strict):
    step: Identifier
    stage: Literal[tuple(stage.value for stage in routes.Stage)]  # type: ignore[valid-type]
    role: Literal[STEP_ROLES]  # type: ignore[valid-type]
    agency: AgencyCode | None = None
    agency_kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    budget: BudgetEntry | None = None
    send_back_to: list[Identifier] = []
    title: Text | None = None

    def as_step(self) -> routes.Step:
        if self.agency:
            owner = routes.AgencyRef("code", self.agency)
        elif self.agency_kind:
            owner = routes.AgencyRef("kind", self.agency_kind)
        else:
            owner = routes.RECEIVING
        return routes.Step(
            id=self.step,
            stage=routes.Stage(self.stage),
            role=self.role,
            agency=owner,
            budget=self.budget.budget() if self.budget else routes.Budget(),
            send_back_to=tuple(self.send_back_to),
            title=dict(self.title or {}),
        )


class ParallelEntry(Strict):
    parallel: list[RouteStepEntry] = Field(min_length=2)


def _route_entry_kind(value: Any) -> str:
    return "·parallel" if isinstance(value, dict) and "parallel" in value else "·step"


# The tags start with "·" so that error locations can drop them (they are not keys of the file).
RouteEntry = Annotated[
    Annotated[RouteStepEntry, Tag("·step")] | Annotated[ParallelEntry, Tag("·parallel")],
    Discriminator(_route_entry_kind),
]


class ByAddressEntry(Strict):
    field: Identifier
    level: Literal["commune", "district"] = "commune"
    agency_kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ReceivingEntry(Strict):
    by_address: ByAddressEntry | None = None
    any_of: list[AgencyCode] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _one_rule(self) -> "ReceivingEntry":
        if (self.by_address is None) == (self.any_of is None):
            raise ValueError("receiving_rule")
        return self


class Announcement(Strict):
    """The decision that announced this version of the procedure (quyết định công bố): its number and date."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    date: date


class ProcedureFile(Strict):
    code: Code
    name: Text
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] | None = None
    sector: Code
    summary: Text
    audience: Text
    online_level: Literal["full", "partial"]
    # Who receives: one agency (receiving_agency), or a rule (receiving); exactly one of the two.
    receiving_agency: AgencyCode | None = None
    receiving: ReceivingEntry | None = None
    route: list[RouteEntry] | None = Field(default=None, min_length=1)
    processing_agencies: list[AgencyCode] = []
    processing_time: ProcessingTime
    steps: list[Text] = Field(min_length=1)
    documents: list[DocumentEntry] = []
    fees: FeeSchedule | None = None
    fee_note: Text | None = None
    result: ResultEntry
    result_template: ResultTemplateEntry | None = None
    legal_basis: list[str] = Field(min_length=1)
    announcement: Announcement | None = None
    faq: list[FaqEntry] = []
    keywords: list[str] = []
    featured: bool = False
    form: FormSpec | None = None

    _vi = field_validator("name", "summary", "audience")(_require_vietnamese)
    _result_html: str = PrivateAttr(default="")  # the template file's text, read by read_pack

    def slug_or_default(self) -> str:
        return self.slug or fold(self.name["vi"]).replace(" ", "-")[:200]

    def route_spec(self) -> routes.Route:
        """The declared route, or the default one-step-per-stage route at the receiving agency."""
        if self.route is None:
            return routes.default_route()
        return routes.Route(
            groups=tuple(
                tuple(step.as_step() for step in entry.parallel)
                if isinstance(entry, ParallelEntry)
                else (entry.as_step(),)
                for entry in self.route
            )
        )

    def receiving_rule(self) -> routes.ReceivingRule:
        if self.receiving is None:
            return routes.ReceivingRule(
                kind="fixed", agencies=(self.receiving_agency,) if self.receiving_agency else ()
            )
        if self.receiving.by_address is not None:
            rule = self.receiving.by_address
            return routes.ReceivingRule(
                kind="by_address", field=rule.field, level=rule.level, agency_kind=rule.agency_kind
            )
        return routes.ReceivingRule(kind="any_of", agencies=tuple(self.receiving.any_of or ()))

    def definition(self) -> dict:
        """The procedure as stored in a version: JSON-ready, with the slug filled in and the route and
        receiving rule in the form the workflow reads (onestop.procedures.route)."""
        data = self.model_dump(mode="json", exclude_none=True, exclude={"route", "receiving"})
        data["slug"] = self.slug_or_default()
        data["route"] = self.route_spec().to_definition()
        data["receiving"] = self.receiving_rule().to_definition()
        if self.result_template is not None:
            data["result_template"]["html"] = self._result_html
        return data

    def content_hash(self) -> str:
        canonical = json.dumps(self.definition(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class UnitEntry(Strict):
    """An administrative unit (province, district, commune/ward); addresses are picked from the leaves."""

    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,10}$")]
    name: Text
    children: list["UnitEntry"] = []


class UnitsFile(Strict):
    units: list[UnitEntry] = []


@dataclass
class Pack:
    path: Path
    province: ProvinceFile
    agencies: list[AgencyEntry]
    staff: list[StaffEntry]
    calendar: CalendarFile
    catalogue: CatalogueFile
    procedures: list[ProcedureFile]
    logo: bytes | None = None
    logo_type: str | None = None
    units: list[UnitEntry] = field(default_factory=list)
    messages: Any = None  # pack_messages.MessagesFile: the province's own wording of notifications
    # help.yaml: abbreviations and the guide (onestop.help.packspec.HelpFile); None before it is read.
    help: Any = None
    # rating.yaml and ratings/<procedure>.yaml, read by onestop.ratings.packspec: {procedure code or "": survey}.
    ratings: dict = field(default_factory=dict)
    # Where each procedure and staff entry came from, for problems found while applying.
    origins: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


class _Lines(dict):
    """Maps a path inside a document, e.g. ('agencies', 3, 'code'), to its 1-based line."""

    def __init__(self):
        super().__init__()
        self.repeated_keys: list[tuple[str, int]] = []

    def line_for(self, loc: tuple) -> int:
        for cut in range(len(loc), -1, -1):
            line = self.get(tuple(loc[:cut]))
            if line is not None:
                return line
        return 1


def _record_lines(node: yaml.Node, path: tuple, lines: _Lines) -> None:
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


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> tuple[Any, _Lines] | None:
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
    lines = _Lines()
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
        form_messages = {**_form_messages(), **_fee_messages(), **_route_messages()}
        if reason in form_messages:
            return form_messages[reason]
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


def _file_loc(loc: tuple, lines: _Lines) -> tuple:
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


def _parse(model: type[BaseModel], data: Any, name: str, lines: _Lines, problems: list[Problem]):
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
            return model(), _Lines()
        read = _read_yaml(file, root, problems)
        if read is None:
            return None, _Lines()
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

    procedures: list[tuple[ProcedureFile, str, _Lines]] = []
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

    _check_references(
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
    _check_forms(procedures, units_file, units_lines, problems)
    if help_file is not None:
        check_help(help_file, help_lines, problems)
    from onestop.ratings.packspec import read_ratings

    ratings = read_ratings(root, {proc.code for proc, _name, _lines in procedures}, problems)
    from onestop.results.packspec import check_result_templates

    check_result_templates(root, procedures, problems)
    if province is not None and agencies_file is not None and units_file is not None:
        _check_serves(agencies_file.agencies, agency_lines, units_file.units, problems)
        for procedure, name, lines in procedures:
            _check_receiving(procedure, name, lines, agencies_file.agencies, units_file.units, problems)
            _check_route(procedure, name, lines, province, agencies_file.agencies, units_file.units, problems)
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


def _duplicates(items: list, key, name: str, lines: _Lines, path: str, problems: list[Problem], message) -> None:
    seen: set = set()
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            problems.append(Problem(name, lines.line_for((path, index)), message(value)))
        seen.add(value)


def _check_references(
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


def _form_messages() -> dict[str, str]:
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


def _fee_messages() -> dict[str, str]:
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


def _check_forms(procedures, units_file, units_lines, problems: list[Problem]) -> None:
    messages = _form_messages()
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
    fee_messages = _fee_messages()
    for procedure, name, lines in procedures:
        if procedure.fees is not None:
            for loc, reason in _fee_problems(procedure.fees, procedure.form):
                problems.append(Problem(name, lines.line_for(loc), fee_messages[reason]))
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


def _route_messages() -> dict[str, str]:
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


def _check_serves(agencies: list[AgencyEntry], lines: _Lines, units: list[UnitEntry], problems: list[Problem]) -> None:
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


def _check_receiving(procedure, name, lines, agencies: list[AgencyEntry], units: list[UnitEntry], problems) -> None:
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


def _route_entries(procedure) -> list[tuple[int, tuple, "RouteStepEntry"]]:
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


def _check_route(
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


def _check_step_kind(kind: str, by_address: "ByAddressEntry | None", agencies, units, loc: tuple, report) -> None:
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
