"""A procedure's processing route, as its pack declares it (lead's minimal version; the pack side replaces it)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Stage(enum.StrEnum):
    RECEPTION = "reception"
    PROCESSING = "processing"
    COORDINATION = "coordination"
    APPROVAL = "approval"
    DELIVERY = "delivery"


@dataclass(frozen=True)
class Budget:
    days: int | None = None
    hours: int | None = None


@dataclass(frozen=True)
class AgencyRef:
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
    documents: tuple[str, ...] = ()

    def to_definition(self) -> dict:
        return {
            "id": self.id,
            "stage": str(self.stage),
            "role": self.role,
            "agency": {"kind": self.agency.kind, "value": self.agency.value},
            "budget": {"days": self.budget.days, "hours": self.budget.hours},
            "send_back_to": list(self.send_back_to),
            "title": dict(self.title),
            "documents": list(self.documents),
        }

    @classmethod
    def from_definition(cls, data: dict) -> Step:
        agency = data.get("agency") or {}
        budget = data.get("budget") or {}
        return cls(
            id=data["id"],
            stage=Stage(data["stage"]),
            role=data["role"],
            agency=AgencyRef(agency.get("kind", "receiving"), agency.get("value", "")),
            budget=Budget(budget.get("days"), budget.get("hours")),
            send_back_to=tuple(data.get("send_back_to") or ()),
            title=dict(data.get("title") or {}),
            documents=tuple(data.get("documents") or ()),
        )


@dataclass(frozen=True)
class Route:
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
    def from_definition(cls, data) -> Route:
        if not data:
            return default_route()
        return cls(tuple(tuple(Step.from_definition(step) for step in group) for group in data))


def default_route() -> Route:
    return Route(
        (
            (Step("reception", Stage.RECEPTION, "clerk"),),
            (Step("processing", Stage.PROCESSING, "specialist"),),
            (Step("approval", Stage.APPROVAL, "leader", send_back_to=("processing",)),),
            (Step("delivery", Stage.DELIVERY, "clerk"),),
        )
    )
