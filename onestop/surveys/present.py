"""Words for the survey pages, so templates ask instead of comparing states and kinds."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from onestop import localtime
from onestop.i18n import localized
from onestop.surveys import access, builder
from onestop.surveys.answering import Availability, availability
from onestop.surveys.forms import KIND_TITLES
from onestop.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyVersion
from onestop.surveys.rules import choices, ordered_questions


def status(survey: Survey) -> str:
    """What the builder's list and page say about where a survey stands."""
    return {
        Availability.OPEN: _("Open for answers"),
        Availability.UNPUBLISHED: _("Draft, not published"),
        Availability.NOT_YET_OPEN: _("Published, not open yet"),
        Availability.CLOSED: _("Closed"),
        Availability.FULL: _("Closed: all the answers it takes have come"),
    }[availability(survey)]


def closed_message(survey: Survey) -> str | None:
    """Why the answering page takes no answers, or None when it does."""
    return {
        Availability.OPEN: None,
        Availability.UNPUBLISHED: _("This survey is not published."),
        Availability.NOT_YET_OPEN: _("This survey is not open yet. Please come back later."),
        Availability.CLOSED: _("This survey is closed. Thank you for your interest."),
        Availability.FULL: _("This survey has received all the answers it takes. Thank you for your interest."),
    }[availability(survey)]


def made_by_citizen(survey: Survey) -> bool:
    return access.made_by_citizen(survey)


def has_unpublished_changes(survey: Survey) -> bool:
    return builder.draft_version(survey) is not None and builder.live_version(survey) is not None


def can_publish(survey: Survey) -> bool:
    return builder.draft_version(survey) is not None


def can_close(survey: Survey) -> bool:
    return availability(survey) in (Availability.OPEN, Availability.NOT_YET_OPEN, Availability.FULL)


def has_short_link(survey: Survey) -> bool:
    """A rating survey is answered only through each application's invitation, never at a short link."""
    return not survey.for_ratings


def kind_title(question: SurveyQuestion) -> str:
    return str(KIND_TITLES[QuestionKind(question.kind)])


def is_kind(question: SurveyQuestion, *names: str) -> bool:
    return question.kind in {QuestionKind(name) for name in names}


def rule_text(question: SurveyQuestion, version: SurveyVersion) -> str:
    """The show-if rule in words: "Asked when Q1 is Yes or No"."""
    rule = question.show_if
    if not rule:
        return ""
    target = next((q for _i, q in ordered_questions(version) if q.key == rule.get("question")), None)
    labels = {choice["key"]: localized(choice) for choice in choices(target)} if target else {}
    values = _(" or ").join(labels.get(value, value) for value in rule.get("values") or [])
    return _("Asked when %(question)s is %(values)s", question=rule.get("question", "").upper(), values=values)


def scale_end(question: SurveyQuestion, end: str) -> str:
    return localized((question.scale or {}).get(end) or {})


def moment(value: datetime) -> str:
    """A moment as the site's `when` filter writes it (24/11/2026 16:38), on the province's clock; without
    Babel's formatter, which costs as much as the rest of a line and the results page lists fifty."""
    return localtime.now(moment=value).strftime("%d/%m/%Y %H:%M")


def version_title(version: SurveyVersion) -> str:
    return localized(version.title) or _("Untitled survey")
