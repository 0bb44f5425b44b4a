"""Words and numbers for the dashboard pages and their exports: the templates ask here, they never decide."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import get_group_symbol
from flask import url_for
from flask_babel import format_decimal, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from onestop import charts, localtime
from onestop.dashboards.figures import Figure
from onestop.dashboards.index import IndexScore, Indicator, Score
from onestop.procedures.models import ApplicationState
from onestop.procedures.reference import procedure_name
from onestop.procedures.workflow.present import staff_state_words

FIGURE_TITLES = {
    "received": _l("Files received"),
    "on_time": _l("Decided on time"),
    "late": _l("Decided late"),
    "overdue": _l("Overdue now"),
    "refused": _l("Refused"),
    "transferred": _l("Sent on to another agency"),
    "online": _l("Filed online"),
    "full_online": _l("Full-process online"),
    "paid_online": _l("Fees paid online"),
    "results_online": _l("Results delivered online"),
    "reused": _l("Digitised papers reused"),
    "average_days": _l("Average processing time (working days)"),
    "p90_days": _l("90th percentile of processing time (working days)"),
    "satisfaction": _l("Satisfied ratings"),
    "feedback_on_time": _l("Feedback handled on time"),
}

NOT_MEASURED = _l("not measured yet")
NO_FILES = _l("no files in this period")


@lru_cache(maxsize=16)
def _group_symbol(locale) -> str:
    return get_group_symbol(locale)


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if type(value) is int and value >= 0:
        # Most cells are counts: grouped by hand with the locale's own separator (what Babel gives, ten times
        # faster; a page formats about a hundred of them).
        return f"{value:,}".replace(",", _group_symbol(get_locale()))
    return format_decimal(value, format="#,##0.##")


def when(moment) -> str:
    """What the `when` filter shows (24/11/2026 16:38 in the province's time zone), without Babel's pattern
    machinery: a list page shows a hundred of them."""
    return moment.astimezone(get_timezone()).strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class FileRow:
    """One file of a list as the page shows it: every cell already worded."""

    code: str
    # The file's page in the back office, when the reader's agency holds it (others see the code only).
    url: str | None
    procedure: str
    state: str
    submitted: str
    decided: str
    due: str


def file_rows(applications: list, reader_agency_id: int | None) -> list[FileRow]:
    """The rows of a list page, worded in one pass: the province's time zone, each state's words, each
    procedure's name (the process's catalogue reference) and the file link's address are looked up once per
    page, not once per cell (a page holds fifty files)."""
    zone = localtime.zone()
    link = url_for("office.application", application_id=0)[:-1]
    states: dict = {}
    procedures: dict = {}

    def moment(value) -> str:
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else "—"

    rows = []
    for application in applications:
        if application.state not in states:
            states[application.state] = str(staff_state_words(ApplicationState(application.state)))
        if application.procedure_id not in procedures:
            procedures[application.procedure_id] = procedure_name(application.procedure_id)
        rows.append(
            FileRow(
                code=application.code,
                url=f"{link}{application.id}" if application.receiving_agency_id == reader_agency_id else None,
                procedure=procedures[application.procedure_id],
                state=states[application.state],
                submitted=moment(application.submitted_at),
                decided=moment(application.finished_at),
                due=application.due_on.strftime("%d/%m/%Y") if application.due_on else "—",
            )
        )
    return rows


def figure_title(figure: Figure) -> str:
    return str(FIGURE_TITLES[figure.key])


def figure_value(figure: Figure) -> str:
    """ "12 of 340 (3.5%)", "7", "not measured yet" or "no files in this period"."""
    if not figure.measured:
        return str(NOT_MEASURED)
    if figure.of is not None:
        if not figure.of:
            return str(NO_FILES)
        return _(
            "%(count)s of %(total)s (%(percent)s%%)",
            count=number(figure.count),
            total=number(figure.of),
            percent=number(figure.percent),
        )
    if figure.count is None:
        return str(NO_FILES)
    return number(figure.count)


def score_value(score: Score) -> str:
    if not score.measured:
        return str(NOT_MEASURED)
    if not score.has_files:
        return str(NO_FILES)
    return f"{number(score.percent)}%"


def score_points(score: Score) -> str:
    if score.points is None:
        return "—"
    return _("%(points)s of %(maximum)s", points=number(score.points), maximum=number(score.indicator.maximum))


def full_points_at(indicator: Indicator) -> str:
    """The rate that earns every point, as a percentage ("80%")."""
    return f"{number(round(100 * indicator.full_at, 1))}%"


def threshold(indicator: Indicator) -> str:
    """ "full points from 80%" for an indicator with a threshold; "" when points follow the rate all the way."""
    if indicator.full_at >= 1:
        return ""
    return _("full points from %(percent)s", percent=full_points_at(indicator))


def index_summary(index: IndexScore) -> str:
    if not index.any_measured:
        return _("No figures yet for this period: no file was received or decided.")
    return _(
        "%(points)s points of the %(counted)s that could be measured in this period (the index has %(maximum)s).",
        points=number(index.points),
        counted=number(index.counted_maximum),
        maximum=number(index.maximum),
    )


def group_chart(index: IndexScore, chart_id: str):
    points = [
        charts.Point(
            str(group.group.title),
            100 * group.points / group.counted_maximum if group.counted_maximum else 0,
            _("%(points)s of %(maximum)s", points=number(group.points), maximum=number(group.counted_maximum))
            if group.any_measured
            else str(NOT_MEASURED),
        )
        for group in index.groups
    ]
    return charts.bar_chart(
        _("The index by group"),
        _("Each bar shows the share of the measurable points a group earned; the table beside it gives the numbers."),
        points,
        chart_id,
        maximum=100,
    )


def trend_chart(months: list[tuple[str, dict]], chart_id: str):
    points = [charts.Point(label, values["received"]) for label, values in months]
    return charts.trend_chart(
        _("Files received per month"),
        _("One column per month, oldest first; the table beside it gives every month's figures."),
        points,
        chart_id,
    )


def on_time_share(values: dict) -> str:
    if not values["decided"]:
        return str(NO_FILES)
    return f"{number(round(100 * values['on_time'] / values['decided'], 1))}%"
