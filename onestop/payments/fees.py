"""Fees and charges a procedure pack declares, and the quote a citizen sees before paying.

Why this exists: a procedure sheet states its fee in words ("200.000 đồng/lần/người; sinh viên, người
có công 100.000; hộ nghèo miễn; từ phiếu thứ 3 trở đi thu thêm 5.000 đồng/phiếu"), provinces set their
own amounts and reductions for online filing, and the citizen must see the amount *and how it was
computed* before paying. So the rules are data in the pack (`FeeSchedule`), and `quote` turns a
schedule plus the citizen's answers into a `FeeQuote` whose lines carry every step as a trace.

The rules (all amounts are whole Vietnamese đồng, `int`, never floats):

- Items. Each `FeeItem` has a unit `amount`. Without `per` it is charged once. With `per` it is charged
  per unit counted from a whole-number answer: `units = max(0, answer - per.beyond)`, so
  `per: {field: copies}` is "amount × copies" and `per: {field: copies, beyond: 2}` is "amount for each
  copy from the 3rd". An item with `when` is in the quote only when that condition holds.
- Unit answers. The answer a `per` item counts must be a whole number of at least 1; a missing answer,
  0, a negative number or anything else raises `FeeAnswerError` instead of quoting a fee. Asking for 0
  copies is a mistake in the filing (the form should say `min: 1`), and silently charging for one copy,
  or for none, would show the citizen an amount nobody asked for.
- Exemptions. They are tried in the order the pack lists them, and for each line the *first* whose
  `when` holds and whose `items` (all items when omitted) include the line wins; later ones are not
  applied on top. Pack authors therefore list the most specific or most generous category first
  (e.g. poor households — free — before students — reduced). An exemption makes the line free, takes
  `reduction_percent` off it, or replaces the item's unit `amount` by `fixed_amount` (the line becomes
  `fixed_amount × units`; a fixed amount above the item's own amount is refused by the schema).
- Online filing. `online_reduction` applies only when the dossier is filed online, *after* the
  exemption, to each listed line (all lines when `items` is omitted): either a `percent` of what is
  left, or an `amount` taken off each line. Because an amount is taken off per line, a schedule with
  several items must name the items an online amount applies to. A line never goes below 0.
- Rounding. A percentage reduction is computed on whole đồng and the *reduction* is rounded half up
  (8.001 đ at 50 % → reduction 4.000,5 → 4.001, pay 4.000): half a đồng goes to the citizen, and a line
  never goes below 0 đ. Integer arithmetic throughout, so there is no float drift.
- A total of 0 is a valid quote: the procedure is free for this applicant.
- Payment moment. `payment_moment` says when the fee is asked for: `at_submission`,
  `after_acceptance` (the default, as on most procedure sheets: the one-stop accepts, then the portal
  shows a payment request) or `when_result_ready`. No moment makes paying a condition of submitting:
  with `at_submission` the fee falls due as the dossier is sent and the receipt page asks for it
  (surveys found portals that refused unpaid dossiers; onestop never does).
- Refunds. `refund` says which share of a paid fee goes back, in percent of what was paid, when the
  application is refused or withdrawn (100 % by default: the state keeps no right to a fee for a
  service it did not give). The refunded amount is rounded half up in the citizen's favour.

The module is pure: no Flask, no database, no clock. Names and reasons are the pack's localized `Text`
dictionaries (or the fixed Vietnamese/English pair below) so the portal renders them in the reader's
language; `FeeQuote.explain()` gives a plain Vietnamese trace for records and staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, model_validator

from onestop.i18n import current_language
from onestop.procedures.formspec import Condition, Identifier, Strict, Text

PaymentMoment = Literal["at_submission", "after_acceptance", "when_result_ready"]
Amount = Annotated[int, Field(ge=0, strict=True)]  # whole đồng; strict so 1.5 or "1000" is refused
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]

ONLINE_REASON: dict[str, str] = {"vi": "Giảm phí khi nộp hồ sơ trực tuyến", "en": "Reduction for filing online"}

AdjustmentKind = Literal["free", "percent", "fixed_amount", "online_percent", "online_amount"]


class FeeAnswerError(ValueError):
    """An answer a fee depends on cannot be counted; `code` says why, `field` which answer.

    Codes: `fee_units_missing` (no answer), `fee_units_not_whole` (not a whole number),
    `fee_units_below_one` (0 or negative).
    """

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{code}: {field}")
        self.field = field
        self.code = code


class Per(Strict):
    """Charge the item once per unit counted from a whole-number answer.

    `beyond` units are not charged by this item (they are covered by another item or free), so
    "5.000 đ per certificate from the 3rd" is `{field: copies, beyond: 2}`.
    """

    field: Identifier
    beyond: int = Field(default=0, ge=0, strict=True)


class FeeItem(Strict):
    id: Identifier
    name: Text
    amount: Amount
    per: Per | None = None
    when: Condition | None = None


class Exemption(Strict):
    """A category of applicants who pay less: exactly one of `free`, `reduction_percent`, `fixed_amount`."""

    id: Identifier
    name: Text
    when: Condition
    free: Literal[True] | None = None
    reduction_percent: Percent | None = None
    fixed_amount: Amount | None = None
    items: list[Identifier] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_effect(self) -> Exemption:
        effects = [self.free is not None, self.reduction_percent is not None, self.fixed_amount is not None]
        if sum(effects) != 1:
            raise ValueError("exemption_effect")
        return self

    def covers(self, item_id: str) -> bool:
        return self.items is None or item_id in self.items


class OnlineReduction(Strict):
    """The province's reduction for filing online: exactly one of `percent`, `amount` (per line)."""

    percent: Percent | None = None
    amount: Amount | None = None
    items: list[Identifier] | None = Field(default=None, min_length=1)
    name: Text | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> OnlineReduction:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("online_reduction_effect")
        return self

    def covers(self, item_id: str) -> bool:
        return self.items is None or item_id in self.items


class RefundRule(Strict):
    """The share of a paid fee refunded when the application ends without the service, in percent."""

    refused: Percent = 100
    withdrawn: Percent = 100

    def refundable(self, paid: int, outcome: Literal["refused", "withdrawn"]) -> int:
        """What goes back of `paid` đồng; rounding favours the citizen."""
        share = self.refused if outcome == "refused" else self.withdrawn
        return paid - (paid * (100 - share)) // 100


class FeeSchedule(Strict):
    """The `fees` key of a procedure pack."""

    payment_moment: PaymentMoment = "after_acceptance"
    items: list[FeeItem] = []
    exemptions: list[Exemption] = []
    online_reduction: OnlineReduction | None = None
    refund: RefundRule = RefundRule()

    @model_validator(mode="after")
    def _consistent(self) -> FeeSchedule:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate_fee_item")
        amounts = {item.id: item.amount for item in self.items}
        for exemption in self.exemptions:
            if exemption.items and not set(exemption.items) <= amounts.keys():
                raise ValueError("unknown_fee_item")
            if exemption.fixed_amount is not None:
                targets = exemption.items or ids
                if any(exemption.fixed_amount > amounts[item_id] for item_id in targets):
                    raise ValueError("fixed_amount_above_item")
        online = self.online_reduction
        if online is not None:
            if online.items and not set(online.items) <= amounts.keys():
                raise ValueError("unknown_fee_item")
            if online.amount is not None and online.items is None and len(self.items) > 1:
                raise ValueError("online_amount_items")
        return self

    @property
    def due_at_submission(self) -> bool:
        """Whether the fee falls due as the dossier is sent (the receipt page asks for it; sending is not blocked)."""
        return self.payment_moment == "at_submission"


@dataclass(frozen=True)
class Adjustment:
    """One step from a line's base amount to what is paid; `change` is negative (or 0)."""

    kind: AdjustmentKind
    reason: dict[str, str]
    change: int
    amount_after: int
    exemption_id: str | None = None
    percent: int | None = None


@dataclass(frozen=True)
class FeeLine:
    item_id: str
    name: dict[str, str]
    unit_amount: int
    units: int
    base: int  # unit_amount × units, before any adjustment
    adjustments: list[Adjustment] = field(default_factory=list)
    amount: int = 0  # what is paid for this line
    answered_units: int | None = None  # the raw answer a `per` item counted, before `beyond`


@dataclass(frozen=True)
class FeeQuote:
    total: int
    lines: list[FeeLine]
    payment_moment: PaymentMoment
    online: bool

    @property
    def free(self) -> bool:
        return self.total == 0

    @property
    def due_at_submission(self) -> bool:
        return self.payment_moment == "at_submission"

    def explain(self) -> list[str]:
        """The computation as plain Vietnamese lines, e.g. for the dossier record."""
        out: list[str] = []
        for line in self.lines:
            name = line.name.get("vi") or next(iter(line.name.values()))
            out.append(f"{name}: {dong(line.unit_amount, 'vi')} × {line.units} = {dong(line.base, 'vi')}")
            for step in line.adjustments:
                reason = step.reason.get("vi") or next(iter(step.reason.values()))
                out.append(f"  {reason}: {dong(step.change, 'vi')} → {dong(step.amount_after, 'vi')}")
        out.append(f"Tổng cộng: {dong(self.total, 'vi')}")
        return out


def dong(amount: int, lang: str | None = None) -> str:
    """`200000` → "200.000 đ" (Vietnamese thousands dots), "200,000 VND" to an English reader.

    Records and legal forms (receipts, the fee computation kept with the file) pass `lang="vi"`.
    """
    if (lang or current_language()) == "vi":
        return f"{amount:,} đ".replace(",", ".")
    return f"{amount:,} VND"


def percent_of(amount: int, percent: int) -> int:
    """`percent` % of `amount`, rounded half up to a whole đồng, with integer arithmetic only."""
    return (amount * percent + 50) // 100


def _units(item: FeeItem, answers: dict) -> tuple[int, int | None]:
    if item.per is None:
        return 1, None
    name = item.per.field
    if answers.get(name) is None:
        raise FeeAnswerError(name, "fee_units_missing")
    value = answers[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise FeeAnswerError(name, "fee_units_not_whole")
    if value < 1:
        raise FeeAnswerError(name, "fee_units_below_one")
    return max(0, value - item.per.beyond), value


def _exempt(exemption: Exemption, amount: int, units: int) -> tuple[AdjustmentKind, int]:
    """The line amount after `exemption`, and which kind of adjustment it was."""
    if exemption.free:
        return "free", 0
    if exemption.reduction_percent is not None:
        return "percent", amount - percent_of(amount, exemption.reduction_percent)
    assert exemption.fixed_amount is not None
    return "fixed_amount", exemption.fixed_amount * units


def _line(schedule: FeeSchedule, item: FeeItem, answers: dict, online: bool) -> FeeLine:
    units, answered = _units(item, answers)
    base = item.amount * units
    amount = base
    adjustments: list[Adjustment] = []
    exemption = next((e for e in schedule.exemptions if e.covers(item.id) and e.when.holds(answers)), None)
    if exemption is not None:
        kind, after = _exempt(exemption, amount, units)
        adjustments.append(
            Adjustment(
                kind=kind,
                reason=dict(exemption.name),
                change=after - amount,
                amount_after=after,
                exemption_id=exemption.id,
                percent=exemption.reduction_percent,
            )
        )
        amount = after
    reduction = schedule.online_reduction
    if online and reduction is not None and reduction.covers(item.id):
        if reduction.percent is not None:
            after = amount - percent_of(amount, reduction.percent)
            kind: AdjustmentKind = "online_percent"
        else:
            after = max(0, amount - (reduction.amount or 0))
            kind = "online_amount"
        adjustments.append(
            Adjustment(
                kind=kind,
                reason=dict(reduction.name or ONLINE_REASON),
                change=after - amount,
                amount_after=after,
                percent=reduction.percent,
            )
        )
        amount = after
    return FeeLine(
        item_id=item.id,
        name=dict(item.name),
        unit_amount=item.amount,
        units=units,
        base=base,
        adjustments=adjustments,
        amount=amount,
        answered_units=answered,
    )


def quote(schedule: FeeSchedule, answers: dict, online: bool) -> FeeQuote:
    """What this applicant pays and why: one line per item that applies, in the pack's order.

    `answers` are the flat, already-validated filing answers (numbers as `int`); `online` is whether
    the dossier is filed online. Items whose `when` does not hold are left out (their unit answer is
    not looked at). Raises `FeeAnswerError` when a counted answer is missing or below 1.
    """
    lines = [
        _line(schedule, item, answers, online)
        for item in schedule.items
        if item.when is None or item.when.holds(answers)
    ]
    return FeeQuote(
        total=sum(line.amount for line in lines),
        lines=lines,
        payment_moment=schedule.payment_moment,
        online=online,
    )
