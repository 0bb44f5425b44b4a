"""Every dashboard table as rows (heading first), written to CSV or XLSX through onestop/spreadsheets.py."""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask_babel import gettext as _
from openpyxl import Workbook

from onestop import localtime
from onestop.dashboards import present
from onestop.dashboards.figures import Figure
from onestop.dashboards.index import IndexScore
from onestop.i18n import localized
from onestop.procedures.models import ApplicationState
from onestop.procedures.reference import procedure_name
from onestop.procedures.workflow.present import staff_state_words
from onestop.spreadsheets import csv_text, write_cell

TABLES = ("index", "figures", "months", "agencies")


def index_rows(index: IndexScore) -> list[list[object]]:
    rows: list[list[object]] = [
        [
            _("Group"),
            _("Indicator"),
            _("Value"),
            _("Numerator"),
            _("Denominator"),
            _("Points"),
            _("Maximum"),
            _("Full points from"),
        ]
    ]
    for group in index.groups:
        for score in group.scores:
            rows.append(
                [
                    str(group.group.title),
                    str(score.indicator.title),
                    present.score_value(score),
                    score.numerator if score.measured else "",
                    score.denominator if score.measured else "",
                    score.points if score.points is not None else "",
                    score.indicator.maximum,
                    present.full_points_at(score.indicator),
                ]
            )
    return rows


def figure_rows(figures: list[Figure]) -> list[list[object]]:
    rows: list[list[object]] = [[_("Figure"), _("Value"), _("Count"), _("Out of")]]
    for figure in figures:
        rows.append(
            [
                present.figure_title(figure),
                present.figure_value(figure),
                figure.count if figure.measured and figure.count is not None else "",
                figure.of if figure.measured and figure.of is not None else "",
            ]
        )
    return rows


def month_rows(months: list[tuple[str, dict]]) -> list[list[object]]:
    rows: list[list[object]] = [[_("Month"), _("Received"), _("Filed online"), _("Decided"), _("On time"), _("Late")]]
    for label, values in months:
        rows.append(
            [label, values["received"], values["received_online"], values["decided"], values["on_time"], values["late"]]
        )
    return rows


def agency_rows(agencies, sums: dict[int, dict]) -> list[list[object]]:
    rows: list[list[object]] = [
        [
            _("Agency"),
            _("Received"),
            _("Filed online"),
            _("Decided"),
            _("On time"),
            _("Late"),
            _("Refused"),
            _("Sent on"),
        ]
    ]
    for agency in agencies:
        values = sums.get(agency.id, {})
        rows.append(
            [agency.display_name()]
            + [
                values.get(name, 0)
                for name in ("received", "received_online", "decided", "on_time", "late", "refused", "transferred")
            ]
        )
    return rows


def file_rows(applications) -> list[list[object]]:
    rows: list[list[object]] = [[_("Code"), _("Procedure"), _("State"), _("Submitted"), _("Decided"), _("Due")]]
    for application in applications:
        rows.append(
            [
                application.code or "",
                procedure_name(application.procedure_id),
                staff_state_words(ApplicationState(application.state)),
                localtime.today(moment=application.submitted_at).isoformat() if application.submitted_at else "",
                localtime.today(moment=application.finished_at).isoformat() if application.finished_at else "",
                application.due_on.isoformat() if application.due_on else "",
            ]
        )
    return rows


def announcement_rows(announcements) -> list[list[object]]:
    heading = [_("Code"), _("Procedure"), _("Announcing decision"), _("Signed on"), _("Due live by"), _("Live on")]
    rows: list[list[object]] = [[*heading, _("On time")]]
    for item in announcements:
        rows.append(
            [
                item.procedure.code,
                localized(item.procedure.name),
                item.number,
                item.signed_on.isoformat(),
                item.due_on.isoformat(),
                item.live_on.isoformat(),
                _("yes") if item.on_time else _("no"),
            ]
        )
    return rows


def catalogue_rows(entries) -> list[list[object]]:
    heading = [
        _("Procedure code"),
        _("Procedure"),
        _("How it is offered"),
        _("Filed online in the period"),
        _("Charges a fee"),
    ]
    rows: list[list[object]] = [[*heading, _("Fee payable online"), _("Fee paid online in the period")]]
    for entry in entries:
        flags = (entry.used_online, entry.charges_fee, entry.fee_payable_online, entry.paid_online)
        rows.append(
            [
                entry.procedure.code,
                localized(entry.procedure.name),
                entry.offer_title,
                *(_("yes") if flag else _("no") for flag in flags),
            ]
        )
    return rows


def publication_rows(publications) -> list[list[object]]:
    rows: list[list[object]] = [
        [_("Procedure code"), _("Procedure"), _("Version"), _("Live on"), _("Complete"), _("Missing parts")]
    ]
    for item in publications:
        rows.append(
            [
                item.procedure.code,
                localized(item.procedure.name),
                item.version,
                item.live_on.isoformat(),
                _("yes") if item.is_complete else _("no"),
                item.missing_titles,
            ]
        )
    return rows


def as_csv(rows: Iterable[Iterable[object]]) -> str:
    return csv_text(rows)


def as_xlsx(rows: Iterable[Iterable[object]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31] or "Sheet"
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            write_cell(sheet, row_number, column_number, value)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
