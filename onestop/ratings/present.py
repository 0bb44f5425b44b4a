"""Words and links for the rating boxes, so templates ask instead of looking at states or tokens."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.ratings import services
from onestop.ratings.models import RatingInvitation


@dataclass(frozen=True)
class RatingBox:
    url: str
    is_rated: bool


def rating_heading(invitation: RatingInvitation) -> dict:
    """What the rating page says it is about: the application's code and procedure, nothing about the staff."""
    application = db.session.get(Application, invitation.application_id)
    return {"code": application.code, "procedure": application.procedure.display_name()}


def rating_box(application: Application) -> RatingBox | None:
    """The citizen's application page box: a link to rate, or a thank-you once rated; None before an invitation."""
    invitation = services.invitation_of(application)
    if invitation is None:
        return None
    return RatingBox(url_for("ratings.rate", token=invitation.token), services.is_rated(invitation))


def counter_rating(application: Application) -> RatingBox | None:
    """The back office's button that opens the rating on the counter tablet (None before an invitation)."""
    invitation = services.invitation_of(application)
    if invitation is None:
        return None
    return RatingBox(url_for("ratings.open_counter", application_id=application.id), services.is_rated(invitation))
