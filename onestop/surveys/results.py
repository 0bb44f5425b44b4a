"""Results of one version of a survey, counted by the database (GROUP BY), never by looping over responses.

Only submitted answers count (they carry the response's submission time), and a date range is a range on
that column, so each count is an index-only scan of `ix_survey_answer_tally`. Days are the province's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, literal_column, select

from onestop import localtime
from onestop.extensions import db
from onestop.i18n import localized
from onestop.surveys.models import (
    CHOICE_KINDS,
    TEXT_KINDS,
    QuestionKind,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyVersion,
)
from onestop.surveys.rules import OTHER, choices, ordered_questions

TEXT_PAGE = 50


@dataclass(frozen=True)
class Period:
    """Submitted from the start of `first` to the end of `last`, both province days; either may be open."""

    first: date | None = None
    last: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        zone = localtime.zone()
        start = datetime.combine(self.first, time(), zone).astimezone(UTC) if self.first else None
        end = datetime.combine(self.last + timedelta(days=1), time(), zone).astimezone(UTC) if self.last else None
        return start, end


def _in_period(column, period: Period) -> list:
    start, end = period.bounds()
    conditions = [column.is_not(None)]
    if start:
        conditions.append(column >= start)
    if end:
        conditions.append(column < end)
    return conditions


@dataclass
class Line:
    label: str
    count: int
    percent: float


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    lines: list[Line] = field(default_factory=list)
    # A grid: a heading (the row's label) and its lines, with the row's average.
    grid: list[tuple[str, float | None, list[Line]]] = field(default_factory=list)
    average: float | None = None
    minimum: object = None
    maximum: object = None

    @property
    def is_counted(self) -> bool:
        return self.question.kind in CHOICE_KINDS

    @property
    def is_grid(self) -> bool:
        return self.question.kind == QuestionKind.GRID

    @property
    def is_text(self) -> bool:
        return self.question.kind in TEXT_KINDS

    @property
    def is_measured(self) -> bool:
        return self.question.kind in (QuestionKind.NUMBER, QuestionKind.DATE)


def response_total(version: SurveyVersion, period: Period) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.version_id == version.id, *_in_period(SurveyResponse.submitted_at, period))
    )


def _percent(count: int, whole: int) -> float:
    return round(100.0 * count / whole, 1) if whole else 0.0


def question_results(version: SurveyVersion, period: Period) -> list[QuestionResult]:
    """Counts and percentages per question (percent of the people who answered it), in three queries."""
    questions = [question for _index, question in ordered_questions(version)]
    results = {question.id: QuestionResult(question) for question in questions}
    ids = list(results)
    if not ids:
        return []
    in_period = _in_period(SurveyAnswer.submitted_at, period)
    counted = {q.id for q in questions if q.kind in CHOICE_KINDS or q.kind == QuestionKind.GRID}
    tallies: dict[tuple[int, str], dict[str, int]] = {}
    if counted:
        rows = db.session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.row_key, SurveyAnswer.choice, func.count())
            .where(SurveyAnswer.question_id.in_(counted), *in_period)
            .group_by(SurveyAnswer.question_id, SurveyAnswer.row_key, SurveyAnswer.choice)
        )
        for question_id, row_key, choice, count in rows:
            tallies.setdefault((question_id, row_key), {})[choice] = count
    # People who answered each question: several rows per person for multiple choice and grids.
    respondents = dict(
        db.session.execute(
            select(SurveyAnswer.question_id, func.count(func.distinct(SurveyAnswer.response_id)))
            .where(SurveyAnswer.question_id.in_(ids), *in_period)
            .group_by(SurveyAnswer.question_id)
        ).all()
    )
    measured = [q.id for q in questions if q.kind in (QuestionKind.NUMBER, QuestionKind.DATE)]
    if measured:
        for question_id, low_number, high_number, mean, low_day, high_day in db.session.execute(
            select(
                SurveyAnswer.question_id,
                func.min(SurveyAnswer.number),
                func.max(SurveyAnswer.number),
                func.avg(SurveyAnswer.number),
                func.min(SurveyAnswer.day),
                func.max(SurveyAnswer.day),
            )
            .where(SurveyAnswer.question_id.in_(measured), *in_period)
            .group_by(SurveyAnswer.question_id)
        ):
            result = results[question_id]
            is_number = result.question.kind == QuestionKind.NUMBER
            result.minimum = low_number if is_number else low_day
            result.maximum = high_number if is_number else high_day
            result.average = round(float(mean), 2) if is_number and mean is not None else None
    for question in questions:
        result = results[question.id]
        result.answered = respondents.get(question.id, 0)
        if question.kind in CHOICE_KINDS:
            result.lines, result.average = _lines(question, tallies.get((question.id, ""), {}), result.answered)
        elif question.kind == QuestionKind.GRID:
            for row in question.rows or []:
                counts = tallies.get((question.id, row["key"]), {})
                lines, mean = _lines(question, counts, sum(counts.values()))
                result.grid.append((localized(row), mean, lines))
    return [results[question.id] for question in questions]


def _lines(question: SurveyQuestion, counts: dict[str, int], whole: int) -> tuple[list[Line], float | None]:
    lines = [
        Line(localized(choice), counts.get(choice["key"], 0), _percent(counts.get(choice["key"], 0), whole))
        for choice in choices(question)
    ]
    mean = None
    if question.kind in (QuestionKind.RATING, QuestionKind.GRID) and whole:
        mean = round(sum(int(key) * count for key, count in counts.items() if key.isdigit()) / whole, 2)
    return lines, mean


def _month_expression():
    # Vietnam keeps no daylight saving time, so the zone's present offset gives the local month on SQLite.
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone(str(localtime.zone()), SurveyResponse.submitted_at), "YYYY-MM")
    hours = int(localtime.now().utcoffset().total_seconds() // 3600)
    return func.strftime("%Y-%m", SurveyResponse.submitted_at, literal_column(f"'{hours:+d} hours'"))


def monthly_responses(version: SurveyVersion, period: Period) -> list[tuple[str, int]]:
    """Responses submitted per province month, oldest first."""
    month = _month_expression().label("month")
    rows = db.session.execute(
        select(month, func.count())
        .where(SurveyResponse.version_id == version.id, *_in_period(SurveyResponse.submitted_at, period))
        .group_by(month)
        .order_by(month)
    )
    return [(label, count) for label, count in rows]


@dataclass
class TextAnswer:
    question_key: str
    text: str
    submitted_at: datetime


def text_answers(
    version: SurveyVersion, period: Period, search: str = "", page: int = 1
) -> tuple[list[TextAnswer], bool]:
    """Free-text answers (and "other" answers), newest first, containing `search` if given; and whether more follow."""
    keys = {q.id: q.key for _i, q in ordered_questions(version) if q.kind in TEXT_KINDS or q.allow_other}
    if not keys:
        return [], False
    query = select(SurveyAnswer.question_id, SurveyAnswer.text, SurveyAnswer.submitted_at).where(
        SurveyAnswer.question_id.in_(keys),
        SurveyAnswer.text.is_not(None),
        (SurveyAnswer.choice.is_(None)) | (SurveyAnswer.choice == OTHER),
        *_in_period(SurveyAnswer.submitted_at, period),
    )
    if search.strip():
        escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(SurveyAnswer.text).like(f"%{escaped.lower()}%", escape="\\"))
    rows = db.session.execute(
        query.order_by(SurveyAnswer.submitted_at.desc(), SurveyAnswer.id.desc())
        .limit(TEXT_PAGE + 1)
        .offset((page - 1) * TEXT_PAGE)
    ).all()
    answers = [TextAnswer(keys[question_id], text, moment) for question_id, text, moment in rows[:TEXT_PAGE]]
    return answers, len(rows) > TEXT_PAGE


def describe_chart(result: QuestionResult) -> str:
    """The chart's <desc>: the largest answer in words (the table beside it has every number)."""
    if not result.lines or not result.answered:
        return _("Nobody has answered this question yet.")
    top = max(result.lines, key=lambda line: line.count)
    return _(
        "%(answered)d people answered. The most chosen answer is %(answer)s: %(count)d (%(percent)s%%).",
        answered=result.answered,
        answer=top.label,
        count=top.count,
        percent=top.percent,
    )
