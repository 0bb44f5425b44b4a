"""Every submitted response of one version as a table: CSV and XLSX, cells written through onestop.spreadsheets."""

from __future__ import annotations

import io
from collections.abc import Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from onestop import localtime
from onestop.extensions import db
from onestop.i18n import localized
from onestop.spreadsheets import csv_text, write_cell
from onestop.surveys.models import QuestionKind, SurveyAnswer, SurveyResponse, SurveyVersion
from onestop.surveys.results import Period, _in_period
from onestop.surveys.rules import OTHER, choices, ordered_questions


def _columns(version: SurveyVersion) -> list[tuple[int, str, str]]:
    """(question id, grid row key, heading) per column."""
    columns = []
    for _index, question in ordered_questions(version):
        heading = f"{question.key.upper()} {localized(question.text)}"
        if question.kind == QuestionKind.GRID:
            columns += [(question.id, row["key"], f"{heading} – {localized(row)}") for row in question.rows or []]
        else:
            columns.append((question.id, "", heading))
    return columns


def table(version: SurveyVersion, period: Period) -> Iterator[list[object]]:
    """The heading row, then one row per submitted response in submission order."""
    columns = _columns(version)
    position = {(question_id, row_key): index for index, (question_id, row_key, _h) in enumerate(columns)}
    labels = {
        question.id: {choice["key"]: localized(choice) for choice in choices(question)}
        for _i, question in ordered_questions(version)
    }
    yield [_("Response"), _("Submitted at")] + [heading for _q, _r, heading in columns]
    answers = db.session.execute(
        select(SurveyResponse.id, SurveyResponse.submitted_at, SurveyAnswer)
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id, isouter=True)
        .where(
            SurveyResponse.version_id == version.id,
            *_in_period(SurveyResponse.submitted_at, period),
            *([SurveyResponse.id.in_(period.responses)] if period.responses is not None else []),
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id, SurveyAnswer.id)
        .execution_options(yield_per=2000)
    )
    current, row = None, []
    for response_id, submitted_at, answer in answers:
        if response_id != current:
            if current is not None:
                yield row
            current = response_id
            row = [response_id, localtime.now(moment=submitted_at).strftime("%Y-%m-%d %H:%M")] + [""] * len(columns)
        if answer is None:
            continue
        index = position[(answer.question_id, answer.row_key)] + 2
        row[index] = _join(row[index], _value(answer, labels[answer.question_id]))
    if current is not None:
        yield row


def _value(answer: SurveyAnswer, labels: dict[str, str]) -> object:
    if answer.choice == OTHER:
        return f"{labels.get(OTHER, OTHER)}: {answer.text}"
    if answer.choice is not None:
        return labels.get(answer.choice, answer.choice)
    if answer.day is not None:
        return answer.day.isoformat()
    if answer.number is not None:
        return int(answer.number) if float(answer.number).is_integer() else answer.number
    return answer.text or ""


def _join(existing: object, value: object) -> object:
    return value if existing == "" else f"{existing}; {value}"


def as_csv(version: SurveyVersion, period: Period) -> str:
    return csv_text(table(version, period))


def as_xlsx(version: SurveyVersion, period: Period) -> bytes:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = _("Responses")[:31]
    for row_number, row in enumerate(table(version, period), start=1):
        for column_number, value in enumerate(row, start=1):
            write_cell(sheet, row_number, column_number, value)
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
