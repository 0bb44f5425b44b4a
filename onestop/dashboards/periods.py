"""The periods a dashboard shows: this month, last month, this year, or a chosen range of days."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from onestop.inputs import iso_day


class Kind(enum.StrEnum):
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_YEAR = "this_year"
    RANGE = "range"


KIND_TITLES = {
    Kind.THIS_MONTH: _l("This month"),
    Kind.LAST_MONTH: _l("Last month"),
    Kind.THIS_YEAR: _l("This year"),
    Kind.RANGE: _l("Chosen days"),
}


@dataclass(frozen=True)
class Period:
    kind: Kind
    first: date
    last: date
    # Field name -> message, for a chosen range that could not be used (the page shows this month instead).
    problems: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(KIND_TITLES[self.kind])

    @property
    def label(self) -> str:
        return f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"

    def args(self) -> dict[str, str]:
        """The query arguments that give this period again (for links to lists and exports)."""
        if self.kind is Kind.RANGE:
            return {"period": str(self.kind), "from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"period": str(self.kind)}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def fixed(kind: Kind, today: date) -> Period:
    if kind is Kind.LAST_MONTH:
        last = _month_start(today) - timedelta(days=1)
        return Period(kind, _month_start(last), last)
    if kind is Kind.THIS_YEAR:
        return Period(kind, today.replace(month=1, day=1), today)
    return Period(Kind.THIS_MONTH, _month_start(today), today)


def parse(args, today: date) -> Period:
    """The period asked for in the query string; a bad range is reported and this month shown instead."""
    try:
        kind = Kind(args.get("period") or Kind.THIS_MONTH)
    except ValueError:
        kind = Kind.THIS_MONTH
    if kind is not Kind.RANGE:
        return fixed(kind, today)
    typed = {"from": (args.get("from") or "")[:20], "to": (args.get("to") or "")[:20]}
    problems: dict[str, str] = {}
    days: dict[str, date] = {}
    for name in ("from", "to"):
        if not typed[name]:
            problems[name] = _("Enter the first day.") if name == "from" else _("Enter the last day.")
            continue
        try:
            days[name] = iso_day(typed[name])
        except ValueError:
            problems[name] = _("Enter a real date, for example 2026-12-31.")
    if "from" in days and days["from"] > today:
        problems["from"] = _("The first day is in the future: there are no figures for it yet.")
    if "to" in days and days["to"] > today:
        problems["to"] = _("The last day is in the future: choose today or an earlier day.")
    if "from" in days and "to" in days and days["to"] < days["from"] and "to" not in problems:
        problems["to"] = _("The last day must not be before the first day.")
    if problems:
        shown = fixed(Kind.THIS_MONTH, today)
        return Period(shown.kind, shown.first, shown.last, problems, typed)
    return Period(Kind.RANGE, days["from"], days["to"], {}, typed)
