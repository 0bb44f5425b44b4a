"""The shape of a procedure's pack file (procedures/<code>.yaml): its papers, processing time, result and
result template, questions and answers, route and receiving rule, and the decision that announced it.
The other files' models and the shared types are in pack_schema.py.
"""

import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
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
from onestop.provinces.pack_schema import (
    AgencyCode,
    Clock,
    Code,
    Strict,
    Text,
    _require_vietnamese,
)
from onestop.text import fold


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
