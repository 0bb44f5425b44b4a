"""The rules of a survey's structure and of its answers, as pure functions over questions.

Without JavaScript a page cannot hide a question as the person types, so a show-if rule may only name a
choice question of an *earlier section*: the server knows that answer when it renders the page. That rule
also makes loops impossible. A structure that breaks it is refused at save, naming the question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from onestop.i18n import localized
from onestop.surveys.models import CHOICE_KINDS, QuestionKind, SurveyQuestion, SurveyVersion

OTHER = "other"
YES_NO_OPTIONS = ({"key": "yes", "vi": "Có", "en": "Yes"}, {"key": "no", "vi": "Không", "en": "No"})
RATING_POINTS = ("1", "2", "3", "4", "5")
MAX_TEXT = {QuestionKind.SHORT_TEXT: 200, QuestionKind.LONG_TEXT: 5000}
MAX_OTHER = 200
MAX_OPTIONS = 30
MAX_NUMBER = 1e12


def ordered_questions(version: SurveyVersion) -> list[tuple[int, SurveyQuestion]]:
    """Every question of a version with the index of its section, in the order people see them."""
    return [(index, question) for index, section in enumerate(version.sections) for question in section.questions]


def question_label(question: SurveyQuestion) -> str:
    """How messages name a question: its number-like key and its text."""
    return f"{question.key.upper()} ({localized(question.text)})"


def choices(question: SurveyQuestion) -> list[dict]:
    """The answer keys a choice question offers, each with its texts (rating points and yes/no included)."""
    if question.kind == QuestionKind.YES_NO:
        return list(YES_NO_OPTIONS)
    if question.kind in (QuestionKind.RATING, QuestionKind.GRID):
        return [{"key": point, "vi": point, "en": point} for point in RATING_POINTS]
    listed = list(question.options or [])
    if question.allow_other:
        listed.append({"key": OTHER, "vi": "Khác", "en": "Other"})
    return listed


def show_if_problems(version: SurveyVersion) -> list[str]:
    """Every broken show-if rule of a version, each message naming the question that carries it."""
    problems = []
    seen: dict[str, tuple[int, SurveyQuestion]] = {}
    everything = {question.key: (index, question) for index, question in ordered_questions(version)}
    for section_index, question in ordered_questions(version):
        rule = question.show_if
        if rule:
            target_key = rule.get("question", "")
            label = question_label(question)
            if target_key == question.key:
                problems.append(_("Question %(question)s cannot depend on its own answer.", question=label))
            elif target_key not in everything:
                problems.append(_("Question %(question)s depends on a question that does not exist.", question=label))
            elif target_key not in seen or seen[target_key][0] >= section_index:
                problems.append(
                    _(
                        "Question %(question)s depends on question %(target)s, which is not in an earlier section.",
                        question=label,
                        target=target_key.upper(),
                    )
                )
            else:
                target = seen[target_key][1]
                keys = {choice["key"] for choice in choices(target)}
                values = rule.get("values") or []
                if target.kind not in CHOICE_KINDS:
                    problems.append(
                        _(
                            "Question %(question)s depends on question %(target)s, which has no choices.",
                            question=label,
                            target=target_key.upper(),
                        )
                    )
                elif not values or not set(values) <= keys:
                    problems.append(
                        _(
                            "Question %(question)s depends on answers question %(target)s does not offer.",
                            question=label,
                            target=target_key.upper(),
                        )
                    )
        seen[question.key] = (section_index, question)
    return problems


def is_shown(question: SurveyQuestion, chosen: Mapping[str, set[str]]) -> bool:
    """Whether a question is asked, given the choice keys already answered per question key."""
    rule = question.show_if
    if not rule:
        return True
    return bool(chosen.get(rule.get("question", ""), set()) & set(rule.get("values") or []))


@dataclass
class Value:
    """One answer row to store (see SurveyAnswer)."""

    row_key: str = ""
    choice: str | None = None
    number: float | None = None
    text: str | None = None
    day: object = None


def read_answer(question: SurveyQuestion, form: Mapping, getlist) -> tuple[list[Value], str | None]:
    """Read one question's answer from a posted form: the rows to store, or a translated message.

    `form` gives single values, `getlist(name)` every value of a name. A required question left empty is
    refused here; the caller decides whether "required" applies (going back skips it).
    """
    from onestop.inputs import iso_day

    name = f"q-{question.key}"
    kind = QuestionKind(question.kind)
    offered = {choice["key"] for choice in choices(question)}
    if kind in (QuestionKind.SINGLE, QuestionKind.RATING, QuestionKind.YES_NO):
        picked = (form.get(name) or "").strip()
        if not picked:
            return [], None
        if picked not in offered:
            return [], _("Choose one of the answers offered.")
        return _with_other(question, [picked], form)
    if kind == QuestionKind.MULTIPLE:
        picked = [value for value in getlist(name) if value]
        if len(picked) > len(offered) or not set(picked) <= offered:
            return [], _("Choose among the answers offered.")
        return _with_other(question, list(dict.fromkeys(picked)), form)
    if kind in MAX_TEXT:
        typed = (form.get(name) or "").strip()
        if len(typed) > MAX_TEXT[kind]:
            return [], _("Use at most %(max)d characters.", max=MAX_TEXT[kind])
        return ([Value(text=typed)] if typed else []), None
    if kind == QuestionKind.NUMBER:
        typed = (form.get(name) or "").strip().replace(",", ".")
        if not typed:
            return [], None
        try:
            number = float(typed)
        except ValueError:
            return [], _("Enter a number, for example 12 or 3.5.")
        if number != number or abs(number) > MAX_NUMBER:
            return [], _("Enter a number, for example 12 or 3.5.")
        return [Value(number=number)], None
    if kind == QuestionKind.DATE:
        typed = (form.get(name) or "").strip()
        if not typed:
            return [], None
        try:
            return [Value(day=iso_day(typed))], None
        except ValueError:
            return [], _("Enter a real date, for example 2026-12-31.")
    values = []  # a grid: one rating per row
    for row in question.rows or []:
        picked = (form.get(f"{name}-{row['key']}") or "").strip()
        if not picked:
            continue
        if picked not in RATING_POINTS:
            return [], _("Choose one of the answers offered.")
        values.append(Value(row_key=row["key"], choice=picked, number=float(picked)))
    return values, None


def _with_other(question: SurveyQuestion, picked: list[str], form: Mapping) -> tuple[list[Value], str | None]:
    values = []
    for key in picked:
        value = Value(choice=key)
        if question.kind == QuestionKind.RATING:
            value.number = float(key)
        if key == OTHER:
            typed = (form.get(f"q-{question.key}-other") or "").strip()
            if not typed:
                return [], _("Say what your other answer is.")
            if len(typed) > MAX_OTHER:
                return [], _("Use at most %(max)d characters.", max=MAX_OTHER)
            value.text = typed
        values.append(value)
    return values, None


def is_complete(question: SurveyQuestion, values: Iterable[Value]) -> bool:
    """A required question is answered: every grid row rated, or at least one value."""
    values = list(values)
    if question.kind == QuestionKind.GRID:
        return {value.row_key for value in values} >= {row["key"] for row in question.rows or []}
    return bool(values)
