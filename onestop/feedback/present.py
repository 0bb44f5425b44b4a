"""The words feedback pages show; templates ask these and never compare kinds or states themselves."""

from datetime import date

from flask_babel import gettext as _

from onestop.feedback import services
from onestop.feedback.models import Feedback, FeedbackKind, FeedbackState


def kind_title(feedback: Feedback) -> str:
    return {
        FeedbackKind.FEEDBACK: _("Feedback"),
        FeedbackKind.QUESTION: _("Question"),
        FeedbackKind.COMPLAINT: _("Complaint"),
    }[feedback.kind_enum]


def is_answered(feedback: Feedback) -> bool:
    return feedback.state_enum is FeedbackState.ANSWERED


def is_overdue(feedback: Feedback, today: date) -> bool:
    return services.is_overdue(feedback, today)


def status_title(feedback: Feedback, today: date) -> str:
    if is_answered(feedback):
        return _("Answered")
    if is_overdue(feedback, today):
        return _("Overdue")
    return _("Waiting for an answer")


def rating_title(feedback: Feedback) -> str:
    if feedback.satisfied is None:
        return ""
    return _("Marked satisfying") if feedback.satisfied else _("Marked not satisfying")


def may_rate(feedback: Feedback) -> bool:
    return is_answered(feedback)


def about_text(feedback: Feedback) -> str:
    """What the feedback is about, in a line."""
    if feedback.application is not None:
        return _("Application %(code)s", code=feedback.application.code)
    if feedback.procedure is not None:
        return feedback.procedure.display_name()
    return _("General feedback")
