"""A procedure's processing route and receiving rule, as a province declares them in its pack.

Pure data: the pack loader builds these from YAML and stores them as JSON in the procedure version
(`definition["route"]`, `definition["receiving"]`); the workflow reads them back with
`Route.from_definition` and `ReceivingRule.from_definition`. Only `resolve_receiver` and
`resolve_agency` read the database, to turn a rule into an agency for one application.
See docs/province-packs.md, "Routes" and "Who receives".
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.errors import InvalidInput
from onestop.extensions import db
from onestop.provinces.models import Agency, Province


class Stage(enum.StrEnum):
    RECEPTION = "reception"
    PROCESSING = "processing"
    COORDINATION = "coordination"
    APPROVAL = "approval"
    DELIVERY = "delivery"


@dataclass(frozen=True)
class Budget:
    """A step's own time, in working days or working hours; neither means only the file's due date bounds it."""

    days: int | None = None
    hours: int | None = None

    def __post_init__(self):
        if self.days is not None and self.hours is not None:
            raise ValueError("a budget is in working days or in working hours, not both")

    def in_hours(self, hours_per_day: float) -> float:
        if self.days is not None:
            return self.days * hours_per_day
        return float(self.hours or 0)


@dataclass(frozen=True)
class AgencyRef:
    """Who owns a step: the agency that received the file, a named agency, or the agency of a kind."""

    kind: str  # "receiving" | "code" | "kind"
    value: str = ""


RECEIVING = AgencyRef("receiving")


@dataclass(frozen=True)
class Step:
    id: str
    stage: Stage
    role: str
    agency: AgencyRef = RECEIVING
    budget: Budget = Budget()
    send_back_to: tuple[str, ...] = ()
    title: dict[str, str] = field(default_factory=dict)

    def to_definition(self) -> dict:
        data: dict[str, Any] = {
            "id": self.id,
            "stage": self.stage.value,
            "role": self.role,
            "agency": {"kind": self.agency.kind, "value": self.agency.value},
            "budget": {"days": self.budget.days}
            if self.budget.days is not None
            else ({"hours": self.budget.hours} if self.budget.hours is not None else {}),
        }
        if self.send_back_to:
            data["send_back_to"] = list(self.send_back_to)
        if self.title:
            data["title"] = dict(self.title)
        return data

    @classmethod
    def from_definition(cls, data: dict) -> "Step":
        agency = data.get("agency") or {}
        budget = data.get("budget") or {}
        return cls(
            id=data["id"],
            stage=Stage(data["stage"]),
            role=data["role"],
            agency=AgencyRef(agency.get("kind", "receiving"), agency.get("value", "")),
            budget=Budget(days=budget.get("days"), hours=budget.get("hours")),
            send_back_to=tuple(data.get("send_back_to", ())),
            title=dict(data.get("title") or {}),
        )


@dataclass(frozen=True)
class Route:
    """Sequential groups of steps; a group of two or more steps runs in parallel and all must finish."""

    groups: tuple[tuple[Step, ...], ...]

    def steps(self) -> list[Step]:
        return [step for group in self.groups for step in group]

    def step(self, step_id: str) -> Step:
        for step in self.steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def group_index(self, step_id: str) -> int:
        for index, group in enumerate(self.groups):
            if any(step.id == step_id for step in group):
                return index
        raise KeyError(step_id)

    def to_definition(self) -> list:
        return [[step.to_definition() for step in group] for group in self.groups]

    @classmethod
    def from_definition(cls, data: list | None) -> "Route":
        if data is None:
            return default_route()
        return cls(groups=tuple(tuple(Step.from_definition(step) for step in group) for group in data))


def default_route() -> Route:
    """One step per stage at the receiving agency, without budgets of their own: how every file ran before routes."""
    roles = {
        Stage.RECEPTION: "clerk",
        Stage.PROCESSING: "specialist",
        Stage.APPROVAL: "leader",
        Stage.DELIVERY: "clerk",
    }
    return Route(groups=tuple((Step(id=stage.value, stage=stage, role=role),) for stage, role in roles.items()))


@dataclass(frozen=True)
class ReceivingRule:
    """Who receives a new file: a fixed agency, the one serving the applicant's address, or one the citizen picks."""

    kind: str  # "fixed" | "by_address" | "any_of"
    agencies: tuple[str, ...] = ()
    field: str = ""
    level: str = "commune"
    agency_kind: str = ""

    def to_definition(self) -> dict:
        if self.kind == "by_address":
            return {"kind": self.kind, "field": self.field, "level": self.level, "agency_kind": self.agency_kind}
        return {"kind": self.kind, "agencies": list(self.agencies)}

    @classmethod
    def from_definition(cls, data: dict | None, fixed_code: str | None) -> "ReceivingRule":
        if not data:
            return cls(kind="fixed", agencies=(fixed_code,) if fixed_code else ())
        if data["kind"] == "by_address":
            return cls(
                kind="by_address",
                field=data["field"],
                level=data.get("level", "commune"),
                agency_kind=data["agency_kind"],
            )
        return cls(kind=data["kind"], agencies=tuple(data.get("agencies", ())))

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"


def rule_of(definition: dict) -> ReceivingRule:
    """The receiving rule of a procedure version (versions stored before rules existed have a fixed agency)."""
    return ReceivingRule.from_definition(definition.get("receiving"), definition.get("receiving_agency"))


def route_of(definition: dict) -> Route:
    """The route of a procedure version (versions stored before routes existed run the default route)."""
    return Route.from_definition(definition.get("route"))


# --- administrative units and the agencies serving them ------------------------------------------

# An answer that picks the receiving agency among a list is kept with the answers, under a key no
# form field can have (field ids start with a letter).
CHOSEN_RECEIVER = "_receiver"


def unit_paths(units: Iterable[dict]) -> dict[str, tuple[str, ...]]:
    """Every leaf unit (commune or ward) → the codes from the top unit down to it."""
    paths: dict[str, tuple[str, ...]] = {}

    def walk(items: Iterable[dict], above: tuple[str, ...]) -> None:
        for unit in items:
            path = (*above, unit["code"])
            if unit.get("children"):
                walk(unit["children"], path)
            else:
                paths[unit["code"]] = path

    walk(units, ())
    return paths


def deciding_unit(path: tuple[str, ...], level: str) -> str | None:
    """The unit that decides at `level`: the ward itself, or its district (None when units have no districts)."""
    if level == "commune":
        return path[-1]
    return path[-2] if len(path) >= 3 else None


@dataclass(frozen=True)
class Serving:
    """An agency as the address rules see it."""

    code: str
    kind: str
    serves: tuple[str, ...]


def servers_of(agencies: Iterable[Serving], path: tuple[str, ...], level: str, kind: str) -> list[str]:
    """Codes of the agencies of `kind` serving the unit that decides at `level` for the ward at `path`.

    An agency serves a unit it lists or one under a unit it lists; the most specific wins, so a ward's
    own committee goes before a district office listing the whole district. Two equally specific
    agencies are both returned: the pack check reports them.
    """
    unit = deciding_unit(path, level)
    if unit is None:
        return []
    above = path[: path.index(unit) + 1]
    best: list[str] = []
    best_depth = -1
    for agency in agencies:
        if agency.kind != kind:
            continue
        depths = [above.index(code) for code in agency.serves if code in above]
        if not depths:
            continue
        depth = max(depths)
        if depth > best_depth:
            best, best_depth = [agency.code], depth
        elif depth == best_depth:
            best.append(agency.code)
    return best


def _active_agencies(province: Province) -> list[Agency]:
    return list(
        db.session.scalars(
            select(Agency).where(Agency.province_id == province.id, Agency.is_active).order_by(Agency.code)
        )
    )


def _serving(agencies: Iterable[Agency]) -> list[Serving]:
    return [Serving(a.code, a.kind, tuple(a.serves or ())) for a in agencies]


def _address_unit(rule: ReceivingRule, answers: dict) -> str:
    value = answers.get(rule.field)
    return value.get("unit", "") if isinstance(value, dict) else ""


def resolve_receiver(rule: ReceivingRule, province: Province, answers: dict) -> Agency:
    """The agency that receives a file with these answers under `rule`; InvalidInput with a plain message if none."""
    agencies = _active_agencies(province)
    by_code = {agency.code: agency for agency in agencies}
    if rule.kind == "fixed":
        agency = by_code.get(rule.agencies[0]) if rule.agencies else None
        if agency is None:
            raise InvalidInput(_("The agency that receives this procedure is not available. Contact the province."))
        return agency
    if rule.kind == "any_of":
        chosen = answers.get(CHOSEN_RECEIVER)
        if chosen not in rule.agencies or chosen not in by_code:
            raise InvalidInput(_("Choose the agency that should receive your application."))
        return by_code[chosen]
    unit = _address_unit(rule, answers)
    path = unit_paths(province.units or []).get(unit)
    if path is None:
        raise InvalidInput(
            _(
                "This address is not in %(province)s. Choose a commune or ward of the province.",
                province=province.display_name(),
            )
        )
    codes = servers_of(_serving(agencies), path, rule.level, rule.agency_kind)
    if len(codes) != 1:
        raise InvalidInput(
            _(
                "No agency receives this procedure for %(unit)s yet. "
                "Contact the province's public administration service centre.",
                unit=province.unit_names().get(unit, unit),
            )
        )
    return by_code[codes[0]]


def receivers(rule: ReceivingRule, province: Province) -> list[tuple[str, Agency]]:
    """Who may receive under `rule`, as (the unit it receives for, or "", agency): for the catalogue and counters."""
    agencies = _active_agencies(province)
    by_code = {agency.code: agency for agency in agencies}
    if rule.kind != "by_address":
        return [("", by_code[code]) for code in rule.agencies if code in by_code]
    serving = _serving(agencies)
    found = []
    for unit, path in unit_paths(province.units or []).items():
        codes = servers_of(serving, path, rule.level, rule.agency_kind)
        if len(codes) == 1:
            found.append((unit, by_code[codes[0]]))
    return found


def may_receive(rule: ReceivingRule, province: Province, agency_id: int) -> bool:
    """Whether this agency receives files of the procedure for at least someone (its counter may file them)."""
    return any(agency.id == agency_id for _unit, agency in receivers(rule, province))


def resolve_agency(ref: AgencyRef, application) -> Agency:
    """The agency owning a step of this application's route."""
    receiving = application.receiving_agency
    if ref.kind == "receiving":
        return receiving
    province = receiving.province
    agencies = _active_agencies(province)
    if ref.kind == "code":
        for agency in agencies:
            if agency.code == ref.value:
                return agency
        raise InvalidInput(_("The agency %(code)s of this procedure's route is not active.", code=ref.value))
    rule = rule_of(application.definition)
    if rule.kind == "by_address":
        path = unit_paths(province.units or []).get(_address_unit(rule, application.answers or {}))
        codes = servers_of(_serving(agencies), path, rule.level, ref.value) if path else []
        if len(codes) == 1:
            return next(agency for agency in agencies if agency.code == codes[0])
    of_kind = [agency for agency in agencies if agency.kind == ref.value]
    if len(of_kind) != 1:
        raise InvalidInput(_("No single agency of the kind %(kind)s can take this step.", kind=ref.value))
    return of_kind[0]
