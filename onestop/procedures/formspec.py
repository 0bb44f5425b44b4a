"""The form a procedure declares in its pack file: steps, fields, conditions, rules.

Nothing about a particular procedure is written in Python: the filing pages render and check
whatever a pack declares here. See docs/province-packs.md, "The form".
"""

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator


def _local_text(value: Any) -> Any:
    return {"vi": value} if isinstance(value, str) else value


Text = Annotated[
    dict[Literal["vi", "en"], Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]],
    BeforeValidator(_local_text),
]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "date",
    "choice",
    "yes_no",
    "citizen_id",
    "phone",
    "email",
    "address",
    "group",
)
# What a field can be prefilled from: the citizen's profile, or what they answered in an earlier filing.
PREFILL_KEYS = ("full_name", "citizen_id", "phone", "email", "birth_date", "address", "gender")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """Shown or required only when an earlier answer calls for it."""

    field: Identifier
    equals: str | int | bool | None = None
    not_equals: str | int | bool | None = None
    one_of: list[str | int] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> "Condition":
        tests = [self.equals is not None, self.not_equals is not None, self.one_of is not None]
        if sum(tests) != 1:
            raise ValueError("condition_test")
        return self

    def holds(self, answers: dict) -> bool:
        value = answers.get(self.field)
        if self.equals is not None:
            return value == self.equals
        if self.not_equals is not None:
            return value is not None and value != self.not_equals
        return value in (self.one_of or [])


class Option(Strict):
    value: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
    label: Text


class FieldSpec(Strict):
    id: Identifier
    type: Literal[FIELD_TYPES]  # type: ignore[valid-type]
    label: Text
    hint: Text | None = None
    required: bool = True
    when: Condition | None = None
    prefill: Literal[PREFILL_KEYS] | None = None  # type: ignore[valid-type]
    # Rules; each applies only to the types where it makes sense.
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1, le=5000)
    pattern: str | None = None
    pattern_message: Text | None = None
    min: int | None = None
    max: int | None = None
    not_after_today: bool = False
    not_before_today: bool = False
    options: list[Option] = []
    # Repeating groups (e.g. family members): the fields of one item, and how many items.
    fields: list["FieldSpec"] = []
    min_items: int = Field(default=1, ge=0, le=50)
    max_items: int = Field(default=10, ge=1, le=50)
    item_label: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error:
                raise ValueError("bad_pattern") from None
        if self.type == "choice" and len(self.options) < 2:
            raise ValueError("choice_options")
        if self.type != "choice" and self.options:
            raise ValueError("options_only_for_choice")
        if self.type == "group":
            if not self.fields:
                raise ValueError("group_fields")
            if any(f.type == "group" for f in self.fields):
                raise ValueError("nested_group")
            if self.min_items > self.max_items:
                raise ValueError("group_items")
        elif self.fields:
            raise ValueError("fields_only_for_group")
        return self


class StepSpec(Strict):
    id: Identifier
    title: Text
    intro: Text | None = None
    when: Condition | None = None
    fields: list[FieldSpec] = Field(min_length=1)


class FormSpec(Strict):
    steps: list[StepSpec] = Field(min_length=1)

    def all_fields(self) -> list[tuple[StepSpec, FieldSpec]]:
        return [(step, field) for step in self.steps for field in step.fields]


def form_problems(form: FormSpec, document_conditions: list[tuple[tuple, Condition]]) -> list[tuple[tuple, str]]:
    """Cross-checks the schema cannot express: unique ids, conditions naming earlier fields."""
    problems: list[tuple[tuple, str]] = []
    seen_steps: set[str] = set()
    earlier: dict[str, FieldSpec] = {}
    for s, step in enumerate(form.steps):
        if step.id in seen_steps:
            problems.append((("form", "steps", s, "id"), "duplicate_step"))
        seen_steps.add(step.id)
        if step.when and step.when.field not in earlier:
            problems.append((("form", "steps", s, "when", "field"), "unknown_condition_field"))
        for f, field in enumerate(step.fields):
            loc = ("form", "steps", s, "fields", f)
            if field.id in earlier:
                problems.append(((*loc, "id"), "duplicate_field"))
            if (
                field.when
                and field.when.field not in earlier
                and field.when.field not in {other.id for other in step.fields[:f]}
            ):
                problems.append(((*loc, "when", "field"), "unknown_condition_field"))
            earlier[field.id] = field
    for loc, condition in document_conditions:
        if condition.field not in earlier:
            problems.append(((*loc, "field"), "unknown_condition_field"))
    return problems
