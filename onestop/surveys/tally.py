"""The running counts of submitted responses (SurveyTally per day, SurveyTallyMonth per month, SurveyDay).

`add_response` adds one response in the submit's own transaction: one upsert per counted row and table, in
a fixed order so that two submits at once wait for each other instead of deadlocking; the loop is over one
response's few answers, never over responses. `summed` adds them up over a range for the results page
(monthly rows for its whole months, daily rows around them). `rebuild` counts a survey's tallies again from
its answers (`flask --app wsgi surveys rebuild-tallies`), for an operator who repairs or checks them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from itertools import groupby

from sqlalchemy import Date, Select, bindparam, delete, func, insert, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from onestop import localtime
from onestop.extensions import db
from onestop.surveys.models import (
    SurveyAnswer,
    SurveyDay,
    SurveyQuestion,
    SurveyResponse,
    SurveyTally,
    SurveyTallyMonth,
    SurveyVersion,
)

Key = tuple[int, str, str]  # question, grid row, choice


def month_of(day: date) -> date:
    """The first day of the day's month: the key of SurveyTallyMonth."""
    return day.replace(day=1)


def _insert(table):
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.engine.dialect.name](table)


def _measure(answer) -> float | None:
    if answer.day is not None:
        return float(answer.day.toordinal())
    return answer.number


def _count(answers: Iterable) -> dict[Key, dict]:
    """One response's answers (SurveyAnswer rows, or rows of their columns) as tally rows: each person counted
    once per question, on its first row."""
    rows: dict[Key, dict] = {}
    counted_questions: set[int] = set()
    for answer in answers:
        row = rows.setdefault(
            (answer.question_id, answer.row_key, answer.choice or ""),
            {"count": 0, "respondents": 0, "total": None, "low": None, "high": None},
        )
        row["count"] += 1
        if answer.question_id not in counted_questions:
            counted_questions.add(answer.question_id)
            row["respondents"] += 1
        value = _measure(answer)
        if value is not None:
            row["total"] = (row["total"] or 0.0) + (answer.number if answer.number is not None else 0.0)
            row["low"] = value if row["low"] is None else min(row["low"], value)
            row["high"] = value if row["high"] is None else max(row["high"], value)
    return rows


def _merge(rows: dict, key: tuple, row: dict) -> None:
    """What the upsert below does, done in memory (the rebuild's sums): the first row is stored as it is."""
    into = rows.get(key)
    if into is None:
        rows[key] = dict(row)
        return
    into["count"] += row["count"]
    into["respondents"] += row["respondents"]
    into["total"] = (into["total"] or 0.0) + (row["total"] or 0.0)
    for name, pick in (("low", min), ("high", max)):
        values = [value for value in (into[name], row[name]) if value is not None]
        into[name] = pick(values) if values else None


def add_response(response_id: int, version_id: int, day: date) -> None:
    """Count one submitted response's answers on its province day and month."""
    answers = db.session.scalars(
        select(SurveyAnswer).where(SurveyAnswer.response_id == response_id).order_by(SurveyAnswer.id)
    )
    rows = _count(answers)
    for table, period_column, period in (
        (SurveyTally.__table__, "day", day),
        (SurveyTallyMonth.__table__, "month", month_of(day)),
    ):
        for (question_id, row_key, choice), row in sorted(rows.items()):
            values = {"question_id": question_id, period_column: period, "row_key": row_key, "choice": choice, **row}
            statement = _insert(table).values(**values)
            excluded = statement.excluded
            db.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.question_id, table.c[period_column], table.c.row_key, table.c.choice],
                    set_={
                        "count": table.c.count + excluded.count,
                        "respondents": table.c.respondents + excluded.respondents,
                        "total": func.coalesce(table.c.total, 0.0) + func.coalesce(excluded.total, 0.0),
                        "low": func.coalesce(_least(table.c.low, excluded.low), table.c.low, excluded.low),
                        "high": func.coalesce(_greatest(table.c.high, excluded.high), table.c.high, excluded.high),
                    },
                )
            )
    days = SurveyDay.__table__
    statement = _insert(days).values(version_id=version_id, day=day, responses=1)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[days.c.version_id, days.c.day], set_={"responses": days.c.responses + 1}
        )
    )


def rebuild(survey_id: int | None = None) -> int:
    """Replace the tallies of one survey (or of every survey) by a count of the submitted answers.

    Reads the answers once, in response order, in batches; answers how many responses it counted.
    The caller commits; run it while the survey takes no answers, or a submit in between is counted twice."""
    versions = select(SurveyVersion.id)
    if survey_id is not None:
        versions = versions.where(SurveyVersion.survey_id == survey_id)
    questions = select(SurveyQuestion.id).where(SurveyQuestion.version_id.in_(versions))
    db.session.execute(delete(SurveyTally).where(SurveyTally.question_id.in_(questions)))
    db.session.execute(delete(SurveyTallyMonth).where(SurveyTallyMonth.question_id.in_(questions)))
    db.session.execute(delete(SurveyDay).where(SurveyDay.version_id.in_(versions)))
    by_day: dict[tuple, dict] = {}
    by_month: dict[tuple, dict] = {}
    submitted = (SurveyResponse.version_id.in_(versions), SurveyResponse.submitted_at.is_not(None))
    responses: dict[tuple[int, date], int] = {}
    days: dict[int, date] = {}
    zone = localtime.zone()  # the province day of each response, as add_response is given it
    for response_id, version_id, submitted_at in db.session.execute(
        select(SurveyResponse.id, SurveyResponse.version_id, SurveyResponse.submitted_at).where(*submitted)
    ):
        days[response_id] = day = submitted_at.astimezone(zone).date()
        responses[(version_id, day)] = responses.get((version_id, day), 0) + 1
    answers = db.session.execute(
        select(
            SurveyAnswer.response_id,
            SurveyAnswer.question_id,
            SurveyAnswer.row_key,
            SurveyAnswer.choice,
            SurveyAnswer.number,
            SurveyAnswer.day,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(*submitted)
        .order_by(SurveyAnswer.response_id, SurveyAnswer.id)
        .execution_options(yield_per=5000)
    )
    for response_id, one_response in groupby(answers, key=lambda answer: answer.response_id):
        day = days[response_id]
        for key, row in _count(one_response).items():
            _merge(by_day, (key[0], day, *key[1:]), row)
            _merge(by_month, (key[0], month_of(day), *key[1:]), row)
    _write(SurveyTally, "day", by_day)
    _write(SurveyTallyMonth, "month", by_month)
    if responses:
        db.session.execute(
            insert(SurveyDay),
            [{"version_id": v, "day": d, "responses": count} for (v, d), count in sorted(responses.items())],
        )
    return sum(responses.values())


def _write(model, period_column: str, rows: dict[tuple, dict]) -> None:
    if rows:
        db.session.execute(
            insert(model),
            [
                {"question_id": q, period_column: when, "row_key": row_key, "choice": choice, **row}
                for (q, when, row_key, choice), row in sorted(rows.items())
            ],
        )


def whole_months(first_day: date | None, last_day: date | None) -> tuple[date | None, date | None]:
    """The months wholly inside the days from `first_day` to `last_day` (None: open), as [first, end) of their
    first days; the days outside them are read per day. `first >= end` means there is no whole month."""
    first = first_day
    if first is not None and first.day != 1:
        first = _next_month(first)
    end = _next_month(last_day) if last_day is not None else None
    if end is not None and last_day + timedelta(days=1) != end:
        end = month_of(last_day)  # the last month is partial: it is read per day
    return first, end


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def summed(question_ids: list[int], first_day: date | None, last_day: date | None):
    """The tallies of the questions summed from `first_day` to `last_day` (None: open), by question, grid row
    and choice: whole months from the monthly rows, the days around them from the daily ones."""
    first, end = whole_months(first_day, last_day)
    # (table, first, last), both ends included, None when open.
    parts: list[tuple[str, date | None, date | None]] = []
    if first is None or end is None or first < end:
        parts.append(("month", first, end - timedelta(days=1) if end else None))
        if first_day is not None and first != first_day:
            parts.append(("day", first_day, first - timedelta(days=1)))
        if last_day is not None and end <= last_day:
            parts.append(("day", end, last_day))
    else:
        parts.append(("day", first_day, last_day))
    values = {}
    for index, (_table, low, high) in enumerate(parts):
        values.update({f"low{index}": low} if low else {})
        values.update({f"high{index}": high} if high else {})
    shape = tuple((table, low is not None, high is not None) for table, low, high in parts)
    return db.session.execute(_tally_statement(tuple(question_ids), shape), values)


# Building a statement costs more than running it (a millisecond against a few tenths): the results page's
# statements are built once per shape, with bound parameters, and kept.
@lru_cache(maxsize=256)
def _tally_statement(question_ids: tuple[int, ...], shape: tuple[tuple[str, bool, bool], ...]) -> Select:
    parts = []
    for index, (table, has_low, has_high) in enumerate(shape):
        model, column = (
            (SurveyTallyMonth, SurveyTallyMonth.month) if table == "month" else (SurveyTally, SurveyTally.day)
        )
        conditions = [model.question_id.in_(question_ids)]
        if has_low:
            conditions.append(column >= bindparam(f"low{index}", type_=Date))
        if has_high:
            conditions.append(column <= bindparam(f"high{index}", type_=Date))
        parts.append(_tally_rows(model, conditions))
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return select(
        rows.c["question_id"],
        rows.c["row_key"],
        rows.c["choice"],
        func.sum(rows.c["count"]),
        func.sum(rows.c["respondents"]),
        func.sum(rows.c["total"]),
        func.min(rows.c["low"]),
        func.max(rows.c["high"]),
    ).group_by(rows.c["question_id"], rows.c["row_key"], rows.c["choice"])


def _tally_rows(model, conditions: list) -> Select:
    columns = ("question_id", "row_key", "choice", "count", "respondents", "total", "low", "high")
    return select(*(getattr(model, name) for name in columns)).where(*conditions)


def _least(a, b):
    # PostgreSQL's LEAST skips NULLs, SQLite's two-argument min() returns NULL: the coalesce around covers both.
    return func.least(a, b) if db.engine.dialect.name == "postgresql" else func.min(a, b)


def _greatest(a, b):
    return func.greatest(a, b) if db.engine.dialect.name == "postgresql" else func.max(a, b)
