"""Words and links for the rating boxes, so templates ask instead of looking at states or tokens."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import url_for

from onestop.extensions import db
from onestop.links import public_link
from onestop.procedures.models import Application
from onestop.ratings import services
from onestop.ratings.models import RatingInvitation
from onestop.ratings.services import COUNTER_LINK_LIFETIME


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


@dataclass(frozen=True)
class CounterCode:
    """The counter rating for another device: the citizen's phone or the counter tablet scans it or types it."""

    link: str
    qr_svg: str
    minutes: int


def counter_code(invitation: RatingInvitation) -> CounterCode:
    link = public_link("ratings.counter_page", token=invitation.counter_token, number=1)
    svg = segno.make(link, error="m").svg_inline(scale=5, border=2)
    return CounterCode(link, svg, int(COUNTER_LINK_LIFETIME.total_seconds() // 60))
