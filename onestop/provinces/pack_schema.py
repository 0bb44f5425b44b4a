"""The shape of a province pack: each file's model (pydantic), the pack as read, and its problems.

A pack file that does not fit its model is reported by onestop/provinces/pack.py with the file, the line
and the expected shape in plain words; the checks across files are in onestop/provinces/pack_checks.py.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    field_validator,
    model_validator,
)

from onestop.accounts.models import Role
from onestop.payments.fees import FeeSchedule
from onestop.procedures import route as routes
from onestop.procedures.formspec import Condition, FormSpec, Identifier
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


class Lines(dict):
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
