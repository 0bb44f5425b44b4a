"""The pack's `help.yaml`: the abbreviations people type and the "which procedure do I need?" guide.

Both are data a province writes, checked with the rest of the pack so that every problem comes back
with its file and line (`check_help`). The file is optional; without it, help search still works and
the guide is not offered.
"""

from typing import Annotated

from flask_babel import gettext as _
from pydantic import Field, StringConstraints

from onestop.procedures.formspec import Identifier
from onestop.provinces.pack_schema import Code, Lines, Problem, Strict, Text
from onestop.text import fold

HELP_FILE = "help.yaml"

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class Abbreviation(Strict):
    """`short` as people type it (CCCD, "ho chieu"); `means` the full terms it stands for."""

    short: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    means: list[Term] = Field(min_length=1)


class GuideOption(Strict):
    answer: Text
    # Exactly one of the two: the next question, or the procedures this answer leads to.
    next: Identifier | None = None
    procedures: list[Code] = []
    note: Text | None = None


class GuideQuestion(Strict):
    id: Identifier
    question: Text
    options: list[GuideOption] = Field(min_length=2)


class HelpFile(Strict):
    abbreviations: list[Abbreviation] = []
    # The first question is where the guide starts.
    guide: list[GuideQuestion] = []


def check_help(help_file: HelpFile, lines: Lines, problems: list[Problem]) -> None:
    """Cross-checks pydantic cannot make: unique abbreviations, answers that lead somewhere, no loops.

    Procedure codes are not checked here: removing a procedure from a pack must not make its guide
    invalid. The guide leaves out procedures that are gone, and the admin's help report lists the
    answers that lead to none (services.broken_guide_answers).
    """

    def report(loc: tuple, message: str) -> None:
        problems.append(Problem(HELP_FILE, lines.line_for(loc), message))

    seen: set[str] = set()
    for i, entry in enumerate(help_file.abbreviations):
        folded = fold(entry.short)
        if not folded:
            report(("abbreviations", i, "short"), _("An abbreviation needs letters or digits."))
        elif folded in seen:
            report(
                ("abbreviations", i, "short"),
                _("The abbreviation “%(short)s” is listed twice; keep one entry.", short=entry.short),
            )
        seen.add(folded)
        for j, meaning in enumerate(entry.means):
            if not fold(meaning):
                report(("abbreviations", i, "means", j), _("A meaning needs letters or digits."))

    ids = [question.id for question in help_file.guide]
    for i, question in enumerate(help_file.guide):
        if question.id in ids[:i]:
            report(("guide", i, "id"), _("The question “%(id)s” is declared twice.", id=question.id))
        for j, option in enumerate(question.options):
            loc = ("guide", i, "options", j)
            if (option.next is None) == (not option.procedures):
                report(loc, _("An answer leads either to a next question (next) or to procedures, not both."))
            if option.next is not None and option.next not in ids:
                report((*loc, "next"), _("There is no question “%(id)s” in the guide.", id=option.next))
    _check_guide_paths(help_file, report)


def _check_guide_paths(help_file: HelpFile, report) -> None:
    """Every question is reached from the first one, and no path comes back to a question it left."""
    if not help_file.guide:
        return
    position = {question.id: i for i, question in enumerate(help_file.guide)}
    following = {
        question.id: [option.next for option in question.options if option.next in position]
        for question in help_file.guide
    }
    reached: set[str] = set()
    reported: set[str] = set()

    def walk(question_id: str, path: list[str]) -> None:
        if question_id in path:
            if question_id not in reported:
                reported.add(question_id)
                report(
                    ("guide", position[question_id], "id"),
                    _("The guide goes round in a loop: %(path)s.", path=" → ".join([*path, question_id])),
                )
            return
        if question_id in reached:
            return
        reached.add(question_id)
        for next_id in following[question_id]:
            walk(next_id, [*path, question_id])

    walk(help_file.guide[0].id, [])
    for question in help_file.guide:
        if question.id not in reached:
            report(
                ("guide", position[question.id], "id"),
                _(
                    "No answer leads to the question “%(id)s”; link it from another question or remove it.",
                    id=question.id,
                ),
            )
