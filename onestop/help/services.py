"""Help's rules: recording what was asked and whether it helped, the admin's report, and the guide.

Nothing here commits: the request does, once.
"""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Integer, case, cast, func, select

from onestop.accounts.models import Role, User
from onestop.errors import NotAllowed, NotFound
from onestop.extensions import db
from onestop.help.models import QUERY_LENGTH, TARGET_LENGTH, HelpQuery, HelpVote
from onestop.procedures.models import Procedure
from onestop.provinces.models import Province
from onestop.text import fold

REPORT_ROWS = 20
# People type their ID card or phone number into search boxes; the report must not show them.
_LONG_NUMBER = re.compile(r"\d[\d .-]{7,}\d")


def _without_numbers(text: str) -> str:
    return _LONG_NUMBER.sub("…", text)


def record_query(province: Province, text: str, result_count: int) -> None:
    """Remember a help search, so that the province learns what people ask and what finds nothing."""
    text = _without_numbers(text)
    folded = fold(text)[:QUERY_LENGTH]
    if folded:
        db.session.add(
            HelpQuery(province_id=province.id, folded=folded, text=text[:QUERY_LENGTH], result_count=result_count)
        )
        db.session.flush()


def record_vote(province: Province, text: str, target: str, helpful: bool) -> None:
    """Store a "did this answer your question?" answer for one result, or for the visit if target is empty."""
    text = _without_numbers(text)
    db.session.add(
        HelpVote(
            province_id=province.id,
            folded=fold(text)[:QUERY_LENGTH],
            text=text[:QUERY_LENGTH],
            target=target[:TARGET_LENGTH],
            helpful=helpful,
        )
    )
    db.session.flush()


def can_read_report(user: User) -> bool:
    return bool(user.is_authenticated and user.role_enum is Role.PROVINCE_ADMIN)


@dataclass
class Report:
    most_asked: list  # (folded, example text, times asked)
    least_helpful: list  # (folded, example text, yes, no)
    without_result: list  # (folded, example text, times asked)
    searches: int
    votes: int
    broken_guide: list  # (question, answer, missing procedure codes)


def help_report(actor: User, province: Province) -> Report:
    """What people ask the help search, which questions it answers worst, and which find nothing."""
    if not can_read_report(actor) or actor.province_id != province.id:
        raise NotAllowed(_("Only the province administrator can read the help report."))
    mine = HelpQuery.province_id == province.id
    asked = func.count(HelpQuery.id).label("asked")
    most_asked = db.session.execute(
        select(HelpQuery.folded, func.max(HelpQuery.text), asked)
        .where(mine)
        .group_by(HelpQuery.folded)
        .order_by(asked.desc(), HelpQuery.folded)
        .limit(REPORT_ROWS)
    ).all()
    without_result = db.session.execute(
        select(HelpQuery.folded, func.max(HelpQuery.text), asked)
        .where(mine, HelpQuery.result_count == 0)
        .group_by(HelpQuery.folded)
        .order_by(asked.desc(), HelpQuery.folded)
        .limit(REPORT_ROWS)
    ).all()
    yes = func.sum(cast(case((HelpVote.helpful, 1), else_=0), Integer)).label("yes")
    no = func.sum(cast(case((HelpVote.helpful, 0), else_=1), Integer)).label("no")
    least_helpful = db.session.execute(
        select(HelpVote.folded, func.max(HelpVote.text), yes, no)
        .where(HelpVote.province_id == province.id)
        .group_by(HelpVote.folded)
        .having(no > 0)
        .order_by((no * 1.0 / (yes + no)).desc(), no.desc(), HelpVote.folded)
        .limit(REPORT_ROWS)
    ).all()
    searches = db.session.scalar(select(func.count(HelpQuery.id)).where(mine)) or 0
    votes = db.session.scalar(select(func.count(HelpVote.id)).where(HelpVote.province_id == province.id)) or 0
    return Report(
        list(most_asked), list(least_helpful), list(without_result), searches, votes, broken_guide_answers(province)
    )


# --- The "which procedure do I need?" guide -----------------------------------------------------


def guide_questions(province: Province) -> list[dict]:
    return (province.help or {}).get("guide", [])


def guide_question(province: Province, question_id: str | None) -> dict:
    """A question of the guide; the first one when none is named."""
    questions = guide_questions(province)
    if not questions:
        raise NotFound(_("This province has no guide yet."))
    if question_id is None:
        return questions[0]
    for question in questions:
        if question["id"] == question_id:
            return question
    raise NotFound(_("There is no such question in the guide."))


def _active_codes(province: Province) -> set[str]:
    return set(
        db.session.scalars(select(Procedure.code).where(Procedure.province_id == province.id, Procedure.is_active))
    )


def guide_options(province: Province, question: dict) -> list[tuple[int, dict]]:
    """The answers of a question worth offering, with their positions: those leading to a further
    question, or to at least one procedure still in the catalogue."""
    active = _active_codes(province)
    return [
        (number, option)
        for number, option in enumerate(question["options"])
        if option.get("next") or active.intersection(option.get("procedures", []))
    ]


def broken_guide_answers(province: Province) -> list[tuple[dict, dict, list[str]]]:
    """Guide answers naming procedures the catalogue no longer has: (question, answer, missing codes)."""
    active = _active_codes(province)
    return [
        (question, option, missing)
        for question in guide_questions(province)
        for option in question["options"]
        if (missing := [code for code in option.get("procedures", []) if code not in active])
    ]


def guide_option(province: Province, question_id: str, number: int) -> tuple[dict, dict, list[Procedure]]:
    """An answer of the guide that leads to procedures: the question, the answer and the procedures."""
    question = guide_question(province, question_id)
    if not 0 <= number < len(question["options"]):
        raise NotFound(_("There is no such answer in the guide."))
    option = question["options"][number]
    codes = option.get("procedures", [])
    chosen = select(Procedure).where(
        Procedure.province_id == province.id, Procedure.code.in_(codes), Procedure.is_active
    )
    found = {procedure.code: procedure for procedure in db.session.scalars(chosen)}
    return question, option, [found[code] for code in codes if code in found]
