"""Adding a submitted response to the running counts (SurveyTally, SurveyDay), in the submit's transaction.

One upsert per counted row, in a fixed order so that two submits at once wait for each other instead of
deadlocking; the loop is over one response's few answers, never over responses.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from onestop.extensions import db
from onestop.surveys.models import SurveyAnswer, SurveyDay, SurveyTally


def _insert(table):
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.engine.dialect.name](table)


def _measure(answer: SurveyAnswer) -> float | None:
    if answer.day is not None:
        return float(answer.day.toordinal())
    return answer.number


def add_response(response_id: int, version_id: int, day: date) -> None:
    """Count one submitted response's answers on its province day."""
    rows: dict[tuple[int, str, str], dict] = {}
    counted_questions: set[int] = set()
    answers = db.session.scalars(
        select(SurveyAnswer).where(SurveyAnswer.response_id == response_id).order_by(SurveyAnswer.id)
    )
    for answer in answers:
        key = (answer.question_id, answer.row_key, answer.choice or "")
        row = rows.setdefault(key, {"count": 0, "respondents": 0, "total": None, "low": None, "high": None})
        row["count"] += 1
        if answer.question_id not in counted_questions:
            counted_questions.add(answer.question_id)
            row["respondents"] += 1
        value = _measure(answer)
        if value is not None:
            row["total"] = (row["total"] or 0.0) + (answer.number if answer.number is not None else 0.0)
            row["low"] = value if row["low"] is None else min(row["low"], value)
            row["high"] = value if row["high"] is None else max(row["high"], value)
    table = SurveyTally.__table__
    for (question_id, row_key, choice), row in sorted(rows.items()):
        statement = _insert(table).values(question_id=question_id, day=day, row_key=row_key, choice=choice, **row)
        excluded = statement.excluded
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.question_id, table.c.day, table.c.row_key, table.c.choice],
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


def _least(a, b):
    # PostgreSQL's LEAST skips NULLs, SQLite's two-argument min() returns NULL: the coalesce around covers both.
    return func.least(a, b) if db.engine.dialect.name == "postgresql" else func.min(a, b)


def _greatest(a, b):
    return func.greatest(a, b) if db.engine.dialect.name == "postgresql" else func.max(a, b)
