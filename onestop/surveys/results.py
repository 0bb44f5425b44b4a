"""Results of one version of a survey, summed by the database (GROUP BY), never by looping over responses.

Counts come from the running tallies each submit adds to (`tally.py`: per question, province day or month,
row and choice), so 100k responses cost a sum over a few dozen rows per month of the range (and per day of a
partial month); the free-text list reads the answers themselves, newest first through `ix_survey_answer_texts`.
Days are the province's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Date, Select, String, bindparam, extract, func, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from onestop import localtime
from onestop.extensions import db
from onestop.i18n import localized
from onestop.surveys import tally
from onestop.surveys.models import (
    CHOICE_KINDS,
    TEXT_KINDS,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyDay,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyVersion,
)
from onestop.surveys.rules import OTHER, choices, ordered_questions

TEXT_PAGE = 50


@dataclass(frozen=True)
class Period:
    """Submitted from the start of `first` to the end of `last`, both province days; either may be open.

    `responses`, when set, is a SELECT of the response ids to count (a rating survey filtered by procedure or
    agency): the running tallies know no such thing, so those results are counted from the answers themselves.
    """

    first: date | None = None
    last: date | None = None
    responses: Select | None = None

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


def _days(column, period: Period) -> list:
    conditions = []
    if period.first:
        conditions.append(column >= period.first)
    if period.last:
        conditions.append(column <= period.last)
    return conditions


def load_versions(survey_id: int) -> Survey | None:
    """The survey with its versions, their sections and questions in one query, instead of one per version and
    section as the results page reads them. While the caller holds it, asking for the survey reads the session."""
    return db.session.scalars(_survey_statement(), {"survey": survey_id}).unique().one_or_none()


@lru_cache(maxsize=1)
def _survey_statement() -> Select:
    return (
        select(Survey)
        .where(Survey.id == bindparam("survey"))
        .options(joinedload(Survey.versions).joinedload(SurveyVersion.sections).joinedload(SurveySection.questions))
        .execution_options(populate_existing=True)
    )


def response_total(version: SurveyVersion, period: Period, months: list[tuple[str, int]] | None = None) -> int:
    """Responses submitted in the period; `months`, the period's monthly counts when the caller has them."""
    if months is not None and period.responses is None:
        return sum(count for _month, count in months)
    if period.responses is not None:
        return db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(
                SurveyResponse.version_id == version.id,
                SurveyResponse.id.in_(period.responses),
                *_in_period(SurveyResponse.submitted_at, period),
            )
        )
    return db.session.scalar(
        select(func.coalesce(func.sum(SurveyDay.responses), 0)).where(
            SurveyDay.version_id == version.id, *_days(SurveyDay.day, period)
        )
    )


def _percent(count: int, whole: int) -> float:
    return round(100.0 * count / whole, 1) if whole else 0.0


def question_results(version: SurveyVersion, period: Period) -> list[QuestionResult]:
    """Counts and percentages per question (percent of the people who answered it), in one query of the tallies."""
    questions = [question for _index, question in ordered_questions(version)]
    results = {question.id: QuestionResult(question) for question in questions}
    if not results:
        return []
    tallies: dict[tuple[int, str], dict[str, int]] = {}
    rows = _counts(list(results), period) if period.responses is not None else _tallied(list(results), period)
    sums: dict[int, list] = {}
    for question_id, row_key, choice, count, respondents, total, low, high in rows:
        tallies.setdefault((question_id, row_key), {})[choice] = int(count)
        results[question_id].answered += int(respondents)
        if low is not None:
            seen = sums.setdefault(question_id, [0, 0.0, low, high])
            seen[0] += int(count)
            seen[1] += total or 0.0
            seen[2], seen[3] = min(seen[2], low), max(seen[3], high)
    for question in questions:
        result = results[question.id]
        if question.kind in CHOICE_KINDS:
            result.lines, result.average = _lines(question, tallies.get((question.id, ""), {}), result.answered)
        elif question.kind == QuestionKind.GRID:
            for row in question.rows or []:
                counts = tallies.get((question.id, row["key"]), {})
                lines, mean = _lines(question, counts, sum(counts.values()))
                result.grid.append((localized(row), mean, lines))
        elif question.id in sums:
            count, total, low, high = sums[question.id]
            if question.kind == QuestionKind.NUMBER:
                result.minimum, result.maximum = low, high
                result.average = round(total / count, 2) if count else None
            else:
                result.minimum, result.maximum = date.fromordinal(int(low)), date.fromordinal(int(high))
    return [results[question.id] for question in questions]


def _tallied(question_ids: list[int], period: Period):
    return tally.summed(question_ids, period.first, period.last)


def _counts(question_ids: list[int], period: Period) -> list[tuple]:
    """The tallies' rows counted from the answers of the chosen responses (one GROUP BY, and one for respondents).

    Respondents are put on the first row of each question, as the tallies do; dates have no range here."""
    where = [
        SurveyAnswer.question_id.in_(question_ids),
        SurveyAnswer.response_id.in_(period.responses),
        *_in_period(SurveyAnswer.submitted_at, period),
    ]
    people = dict(
        db.session.execute(
            select(SurveyAnswer.question_id, func.count(func.distinct(SurveyAnswer.response_id)))
            .where(*where)
            .group_by(SurveyAnswer.question_id)
        ).all()
    )
    rows = []
    # One expression, no bound parameter: PostgreSQL must see the GROUP BY term as the selected one.
    choice_key = func.coalesce(SurveyAnswer.choice, literal_column("''"))
    for question_id, row_key, choice, count, total, low, high in db.session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.row_key,
            choice_key,
            func.count(),
            func.sum(SurveyAnswer.number),
            func.min(SurveyAnswer.number),
            func.max(SurveyAnswer.number),
        )
        .where(*where)
        .group_by(SurveyAnswer.question_id, SurveyAnswer.row_key, choice_key)
    ):
        rows.append((question_id, row_key, choice, count, people.pop(question_id, 0), total, low, high))
    return rows


def _lines(question: SurveyQuestion, counts: dict[str, int], whole: int) -> tuple[list[Line], float | None]:
    lines = [
        Line(localized(choice), counts.get(choice["key"], 0), _percent(counts.get(choice["key"], 0), whole))
        for choice in choices(question)
    ]
    mean = None
    if question.kind in (QuestionKind.RATING, QuestionKind.GRID) and whole:
        mean = round(sum(int(key) * count for key, count in counts.items() if key.isdigit()) / whole, 2)
    return lines, mean


def monthly_responses(version: SurveyVersion, period: Period) -> list[tuple[str, int]]:
    """Responses submitted per province month, oldest first."""
    if period.responses is not None:
        return []  # the monthly trend is of all the survey's responses; a filtered page shows the totals only
    values = {"version": version.id, "first": period.first, "last": period.last}
    rows = db.session.execute(_monthly_statement(period.first is not None, period.last is not None), values)
    return [(f"{int(y):04d}-{int(m):02d}", int(count)) for y, m, count in rows]


# Kept once built, as tally.summed's statements: building one costs more than running it.
@lru_cache(maxsize=4)
def _monthly_statement(has_first: bool, has_last: bool) -> Select:
    year, month = extract("year", SurveyDay.day).label("year"), extract("month", SurveyDay.day).label("month")
    conditions = [SurveyDay.version_id == bindparam("version")]
    if has_first:
        conditions.append(SurveyDay.day >= bindparam("first", type_=Date))
    if has_last:
        conditions.append(SurveyDay.day <= bindparam("last", type_=Date))
    return (
        select(year, month, func.sum(SurveyDay.responses))
        .where(*conditions)
        .group_by(year, month)
        .order_by(year, month)
    )


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
    wanted = TEXT_PAGE + 1
    skipped = (page - 1) * TEXT_PAGE
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower()
    start, end = period.bounds()
    values = {"start": start, "end": end, "search": f"%{escaped}%", "part_limit": skipped + wanted}
    values.update({"wanted": wanted, "skipped": skipped})
    shape = (tuple(keys), start is not None, end is not None, bool(escaped))
    if period.responses is None:
        statement = _texts_statement(*shape)
    else:
        statement = _build_texts_statement(*shape, responses=period.responses)
    rows = db.session.execute(statement, values).all()
    answers = [TextAnswer(keys[question_id], text, moment) for question_id, text, moment in rows[:TEXT_PAGE]]
    return answers, len(rows) > TEXT_PAGE


def _build_texts_statement(
    question_ids: tuple[int, ...], has_start: bool, has_end: bool, has_search: bool, responses: Select | None = None
) -> Select:
    # One newest-first scan of ix_survey_answer_texts per question, merged: an IN list would read every text
    # of the survey and sort them.
    parts = []
    for question_id in question_ids:
        part = select(SurveyAnswer.question_id, SurveyAnswer.text, SurveyAnswer.submitted_at, SurveyAnswer.id).where(
            SurveyAnswer.question_id == question_id,
            SurveyAnswer.text.is_not(None),
            (SurveyAnswer.choice.is_(None)) | (SurveyAnswer.choice == OTHER),
            SurveyAnswer.submitted_at.is_not(None),
        )
        if has_start:
            part = part.where(SurveyAnswer.submitted_at >= bindparam("start"))
        if has_end:
            part = part.where(SurveyAnswer.submitted_at < bindparam("end"))
        if responses is not None:
            part = part.where(SurveyAnswer.response_id.in_(responses))
        if has_search:
            part = part.where(func.lower(SurveyAnswer.text).like(bindparam("search", type_=String), escape="\\"))
        ordered = part.order_by(SurveyAnswer.submitted_at.desc(), SurveyAnswer.id.desc())
        parts.append(ordered.limit(bindparam("part_limit")).subquery())
    merged = union_all(*(select(part) for part in parts)).subquery()
    return (
        select(merged.c.question_id, merged.c.text, merged.c.submitted_at)
        .order_by(merged.c.submitted_at.desc(), merged.c.id.desc())
        .limit(bindparam("wanted"))
        .offset(bindparam("skipped"))
    )


_texts_statement = lru_cache(maxsize=256)(_build_texts_statement)


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
