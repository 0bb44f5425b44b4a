"""Reading, checking and prefilling the answers of one form step, as the pack's form spec declares.

Answers are stored flat by field id (ids are unique within a form): a text is a string, a number an
int, a date an ISO string, a yes/no a bool, an address {"unit": code, "street": text}, and a
repeating group a list of such dicts. What the citizen typed is returned as it was typed, so that a
step with a mistake re-renders with every answer kept.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from onestop.accounts.citizen_id import problem_with
from onestop.accounts.services import normalise_phone
from onestop.i18n import localized
from onestop.inputs import date_from_parts
from onestop.procedures.formspec import FieldSpec, FormSpec, StepSpec

_WHOLE_NUMBER = re.compile(r"-?\d{1,15}")


@dataclass
class StepResult:
    values: dict = field(default_factory=dict)  # checked values, ready to store
    raw: dict = field(default_factory=dict)  # what was typed, by input name, to re-render
    errors: dict[str, str] = field(default_factory=dict)  # input id -> message
    group_sizes: dict[str, int] = field(default_factory=dict)
    revealed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.revealed


def visible_steps(form: FormSpec, answers: dict) -> list[StepSpec]:
    return [step for step in form.steps if step.when is None or step.when.holds(answers)]


def visible_fields(step: StepSpec, answers: dict) -> list[FieldSpec]:
    return [spec for spec in step.fields if spec.when is None or spec.when.holds(answers)]


def _item_number(spec: FieldSpec, key: str) -> int | None:
    """The item a group's input belongs to ("members-3-name" is item 3), as posted; None for other inputs."""
    if not key.startswith(f"{spec.id}-"):
        return None
    number = key[len(spec.id) + 1 :].split("-", 1)[0]
    return int(number) if number.isascii() and number.isdigit() and len(number) < 10 else None


def _posted_indexes(spec: FieldSpec, data: MultiDict) -> set[int]:
    return {number for key in data if (number := _item_number(spec, key)) is not None}


def group_size(spec: FieldSpec, data: MultiDict | None, answers: dict) -> int:
    """How many items of a repeating group to show: what was posted, else what is stored, else the minimum.

    Never more than the group's `max_items`: a request naming item 49,999 must not make the server
    build (and send back) 50,000 empty items.
    """
    if data is not None:
        indexes = _posted_indexes(spec, data)
        if indexes:
            return min(max(indexes) + 1, spec.max_items)
    stored = answers.get(spec.id)
    if isinstance(stored, list) and stored:
        return min(len(stored), spec.max_items)
    return max(spec.min_items, 1)


def changed_groups(step: StepSpec, action: str, raw: dict, sizes: dict[str, int]) -> tuple[dict, dict[str, int]]:
    """The inputs and item counts to show after an "add:<group>" or "remove:<group>:<item>" button.

    An item is added only below the group's `max_items`; a button naming no group of this step, or no
    item of it, changes nothing.
    """
    kind, _, rest = action.partition(":")
    group_id, _, item = rest.partition(":")
    spec = next((spec for spec in step.fields if spec.type == "group" and spec.id == group_id), None)
    if spec is None:
        return raw, sizes
    size = sizes.get(spec.id, 1)
    if kind == "add":
        return raw, {**sizes, spec.id: min(size + 1, spec.max_items)}
    if kind == "remove" and item.isascii() and item.isdigit() and int(item) < size:
        return _without_item(raw, spec.id, int(item)), {**sizes, spec.id: max(size - 1, 1)}
    return raw, sizes


def _without_item(raw: dict, group: str, index: int) -> dict:
    kept, prefix = {}, f"{group}-"
    for name, value in raw.items():
        position, _, rest = name.removeprefix(prefix).partition("-")
        if not name.startswith(prefix) or not (position.isascii() and position.isdigit()):
            kept[name] = value
            continue
        if int(position) < index:
            kept[name] = value
        elif int(position) > index:
            kept[f"{group}-{int(position) - 1}-{rest}"] = value
    return kept


def read_step(step: StepSpec, data: MultiDict, answers: dict, units: set[str], today: date) -> StepResult:
    """Check one step's posted answers. Conditions see the answers of this step as they are posted."""
    result = StepResult()
    merged = dict(answers)
    shown = set(data.getlist("_shown"))
    for spec in step.fields:
        if spec.when is not None and not spec.when.holds(merged):
            continue
        if spec.when is not None and shown and spec.id not in shown:
            # Revealed by an answer on this same page: the citizen has not seen it yet. Without
            # JavaScript the page comes back with it shown, and nothing is held against them.
            result.revealed.append(spec.id)
            continue
        if spec.type == "group":
            items = []
            size = group_size(spec, data, answers)
            result.group_sizes[spec.id] = size
            for index in range(size):
                prefix = f"{spec.id}-{index}-"
                if not any((value or "").strip() for key, value in data.items() if key.startswith(prefix)):
                    continue  # an item left blank is not an item (e.g. the empty row of an optional group)
                item = {}
                for sub in spec.fields:
                    value = _read_one(sub, prefix + sub.id, data, result, units, today)
                    if value is not None:
                        item[sub.id] = value
                items.append(item)
            # Items typed beyond `max_items` are not read (nor shown again), but they are not ignored either.
            typed_beyond = any(
                (value or "").strip() for key, value in data.items() if (_item_number(spec, key) or 0) >= spec.max_items
            )
            if len(items) < spec.min_items and spec.required:
                result.errors.setdefault(
                    f"{spec.id}-0-{spec.fields[0].id}",
                    _("Add at least %(count)d.", count=spec.min_items)
                    if spec.min_items > 1
                    else _("Add at least one."),
                )
            elif len(items) > spec.max_items or typed_beyond:
                result.errors[f"{spec.id}-0-{spec.fields[0].id}"] = _(
                    "You can add at most %(count)d.", count=spec.max_items
                )
            result.values[spec.id] = items
        else:
            value = _read_one(spec, spec.id, data, result, units, today)
            result.values[spec.id] = value
        merged[spec.id] = result.values.get(spec.id)
    return result


def _read_one(spec: FieldSpec, name: str, data: MultiDict, result: StepResult, units: set[str], today: date):
    """Read and check one input; records raw text and any error in `result`; returns the checked value."""
    if spec.type == "date":
        parts = {part: (data.get(f"{name}-{part}") or "").strip() for part in ("day", "month", "year")}
        for part, text in parts.items():
            result.raw[f"{name}-{part}"] = text
        if not any(parts.values()):
            return _missing(spec, f"{name}-day", result)
        try:
            value = date_from_parts(parts["day"], parts["month"], parts["year"])
        except ValueError:
            result.errors[f"{name}-day"] = _("Enter a real date, for example 27 3 1990.")
            return None
        if spec.not_after_today and value > today:
            result.errors[f"{name}-day"] = _("The date cannot be in the future.")
        elif spec.not_before_today and value < today:
            result.errors[f"{name}-day"] = _("The date cannot be in the past.")
        return value.isoformat()

    if spec.type == "address":
        unit = (data.get(f"{name}-unit") or "").strip()
        street = " ".join((data.get(f"{name}-street") or "").split())
        result.raw[f"{name}-unit"], result.raw[f"{name}-street"] = unit, street
        if not unit and not street:
            return _missing(spec, f"{name}-unit", result)
        if unit not in units:
            result.errors[f"{name}-unit"] = _("Choose the commune or ward from the list.")
        if not street:
            result.errors[f"{name}-street"] = _("Enter the house number and street, or the hamlet.")
        elif len(street) > 200:
            result.errors[f"{name}-street"] = _("Use at most %(max)d characters.", max=200)
        return {"unit": unit, "street": street}

    text = unicodedata.normalize("NFC", (data.get(name) or "").strip())
    result.raw[name] = text
    if not text:
        return _missing(spec, name, result)

    if spec.type in ("text", "textarea"):
        text = text if spec.type == "textarea" else " ".join(text.split())
        limit = spec.max_length or (2000 if spec.type == "textarea" else 200)
        if len(text) > limit:
            result.errors[name] = _("Use at most %(max)d characters.", max=limit)
        elif spec.min_length and len(text) < spec.min_length:
            result.errors[name] = _("Use at least %(min)d characters.", min=spec.min_length)
        elif spec.pattern and not _matches(spec.pattern, text):
            result.errors[name] = (
                localized(spec.pattern_message) if spec.pattern_message else _("This is not in the expected form.")
            )
        return text
    if spec.type == "number":
        digits = text.replace(".", "").replace(" ", "")
        if not _WHOLE_NUMBER.fullmatch(digits):
            result.errors[name] = _("Enter a whole number, for example 2.")
            return None
        number = int(digits)
        if spec.min is not None and number < spec.min:
            result.errors[name] = _("Enter a number of at least %(min)d.", min=spec.min)
        elif spec.max is not None and number > spec.max:
            result.errors[name] = _("Enter a number of at most %(max)d.", max=spec.max)
        return number
    if spec.type == "choice":
        if text not in {option.value for option in spec.options}:
            result.errors[name] = _("Choose one of the options.")
        return text
    if spec.type == "yes_no":
        if text not in ("yes", "no"):
            result.errors[name] = _("Choose yes or no.")
            return None
        return text == "yes"
    if spec.type == "citizen_id":
        number = text.replace(" ", "")
        result.raw[name] = number
        problem = problem_with(number)
        if problem == "format":
            result.errors[name] = _("Enter the 12 digits of the citizen ID number, without spaces.")
        elif problem:
            result.errors[name] = _("This citizen ID number is not possible. Check it on the ID card.")
        return number
    if spec.type == "phone":
        number = normalise_phone(text)
        if len(number) != 10 or not number.startswith("0") or not number.isdigit():
            result.errors[name] = _("Enter a mobile number of 10 digits, for example 0912 345 678.")
        return number
    if spec.type == "email":
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            result.errors[name] = _("Enter an e-mail address like name@example.com.")
            return text
    raise ValueError(f"unknown field type {spec.type}")


def _missing(spec: FieldSpec, name: str, result: StepResult):
    # The message names the question: in the error summary it stands alone, away from its field.
    label = localized(spec.label)
    if spec.required:
        if spec.type in ("choice", "yes_no"):
            result.errors[name] = _("Choose an answer for “%(label)s”.", label=label)
        elif spec.type == "address":
            result.errors[name] = _("Choose the commune or ward for “%(label)s”.", label=label)
        else:
            result.errors[name] = _("Answer “%(label)s”.", label=label)
    return None


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, unicodedata.normalize("NFC", text)) is not None


# --- showing stored answers again ---------------------------------------------------------------


def as_inputs(step: StepSpec, answers: dict) -> dict:
    """Stored answers turned back into input values, keyed by input name."""
    raw: dict = {}
    for spec in step.fields:
        value = answers.get(spec.id)
        if spec.type == "group":
            for index, item in enumerate(value or []):
                for sub in spec.fields:
                    raw.update(_inputs_for(sub, f"{spec.id}-{index}-{sub.id}", item.get(sub.id)))
        else:
            raw.update(_inputs_for(spec, spec.id, value))
    return raw


def _inputs_for(spec: FieldSpec, name: str, value) -> dict:
    if value is None:
        return {}
    if spec.type == "date":
        day = date.fromisoformat(value)
        return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}
    if spec.type == "address":
        return {f"{name}-unit": value.get("unit", ""), f"{name}-street": value.get("street", "")}
    if spec.type == "yes_no":
        return {name: "yes" if value else "no"}
    return {name: str(value)}


def prefill_values(step: StepSpec, answers: dict, known: dict) -> dict:
    """Answers for fields not yet answered, from what the citizen told us before (profile, earlier filings)."""
    filled = {}
    for spec in step.fields:
        if spec.prefill and spec.id not in answers and known.get(spec.prefill) is not None:
            filled[spec.id] = known[spec.prefill]
    return filled


def address_line(value, unit_names: dict[str, str]) -> str:
    """An address answer ({"unit": code, "street": text}) on one line, with the unit's full name."""
    if not isinstance(value, dict):
        return str(value or "")
    return ", ".join(part for part in (value.get("street"), unit_names.get(value.get("unit"), "")) if part)


def display_value(spec: FieldSpec, value, unit_names: dict[str, str]) -> str:
    """An answer as the citizen reads it on the check-your-answers page and the receipt."""
    if value is None or value == "" or value == []:
        return "—"
    if spec.type == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if spec.type == "yes_no":
        return _("Yes") if value else _("No")
    if spec.type == "choice":
        for option in spec.options:
            if option.value == value:
                return localized(option.label)
    if spec.type == "address":
        return address_line(value, unit_names)
    if spec.type == "number":
        # Years and counts read plainly; amounts get Vietnamese thousands dots.
        return f"{value:,}".replace(",", ".") if abs(value) >= 10_000 else str(value)
    return str(value)
