"""The shape of a province pack: each file's model (pydantic), the pack as read, and its problems.

A pack file that does not fit its model is reported by onestop/provinces/pack.py with the file, the line
and the expected shape in plain words; the checks across files are in onestop/provinces/pack_checks.py.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from onestop.accounts.models import Role

if TYPE_CHECKING:
    from onestop.provinces.pack_procedure_schema import ProcedureFile

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
    procedures: list["ProcedureFile"]
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
