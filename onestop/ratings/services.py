"""Inviting each finished application once to rate its service, taking the rating online or at the counter.

The invitation is made by a receiver of `application_changed` (no workflow module names ratings): when a file
ends (result delivered, refused, withdrawn after it was sent) its applicant is told on their channels, and the
application page shows a box. A unique row per application makes "once" hold even when the signal fires twice
or two requests end the same file. The answers are an ordinary survey response; on submit, the measures the
province's rating survey names are copied into `service_rating` with the agency and the officers who handled it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from onestop import localtime
from onestop.accounts.models import User
from onestop.audit.services import record
from onestop.errors import NotAllowed, NotFound
from onestop.extensions import db
from onestop.links import public_link
from onestop.models import utcnow
from onestop.procedures.models import Application, ApplicationState, ApplicationStep
from onestop.procedures.models.application import FINAL_STATES
from onestop.procedures.models.catalogue import Procedure
from onestop.ratings.models import RatingChannel, RatingInvitation, RatingSurvey, ServiceRating, ServiceRatingOfficer
from onestop.surveys import answering
from onestop.surveys.builder import live_version
from onestop.surveys.models import SurveyAnswer, SurveyQuestion, SurveyResponse

COUNTER_LINK_LIFETIME = timedelta(minutes=30)


def rating_survey_for(application: Application) -> RatingSurvey | None:
    """The procedure's own rating survey, else the province's default one (None if the pack has neither)."""
    procedure = db.session.get(Procedure, application.procedure_id)
    found = db.session.scalars(
        select(RatingSurvey).where(
            RatingSurvey.province_id == procedure.province_id,
            RatingSurvey.procedure_code.in_([procedure.code, ""]),
        )
    ).all()
    own = [entry for entry in found if entry.procedure_code]
    chosen = (own or found or [None])[0]
    return chosen if chosen is not None and live_version(chosen.survey) is not None else None


def invitation_of(application: Application) -> RatingInvitation | None:
    return db.session.scalar(select(RatingInvitation).where(RatingInvitation.application_id == application.id))


def invite(application: Application) -> RatingInvitation | None:
    """Invite the applicant to rate this application's service, once; None when there is nothing to rate with."""
    existing = invitation_of(application)
    if existing is not None:
        return None
    chosen = rating_survey_for(application)
    if chosen is None:
        return None
    invitation = RatingInvitation(
        application_id=application.id,
        survey_id=chosen.survey_id,
        measures=dict(chosen.measures),
        token=secrets.token_urlsafe(24),
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
    except IntegrityError:  # another transaction invited it at the same moment
        return None
    from onestop.notifications.notify import notify_applicant

    notify_applicant(application, "rating_invited", survey_link=public_link("ratings.rate", token=invitation.token))
    return invitation


def on_application_changed(application: Application, *, to_state, **_change) -> None:
    """Receiver of procedures.signals.application_changed: a file that was sent and has ended is rated."""
    if ApplicationState(to_state) in FINAL_STATES and application.code:
        invite(application)


def invitation_by_token(token: str) -> RatingInvitation:
    invitation = db.session.scalar(select(RatingInvitation).where(RatingInvitation.token == token[:64]))
    if invitation is None:
        raise NotFound(_("There is no rating at this address."))
    return invitation


def invitation_by_counter_token(token: str) -> RatingInvitation:
    invitation = db.session.scalar(select(RatingInvitation).where(RatingInvitation.counter_token == token[:64]))
    if invitation is None or invitation.counter_expires_at is None or invitation.counter_expires_at <= utcnow():
        raise NotFound(_("This counter link has expired. Ask the clerk to open the rating again."))
    return invitation


def rating_of(application_id: int) -> ServiceRating | None:
    return db.session.scalar(select(ServiceRating).where(ServiceRating.application_id == application_id))


def is_rated(invitation: RatingInvitation) -> bool:
    return rating_of(invitation.application_id) is not None


def response_for(invitation: RatingInvitation, channel: RatingChannel) -> SurveyResponse:
    """The response the rating is given in, begun on first use; one per application whatever the channel."""
    if is_rated(invitation):
        raise answering.AlreadyAnswered(_("This service has been rated already. Thank you."))
    if invitation.response_id is not None:
        response = db.session.get(SurveyResponse, invitation.response_id)
        if response is not None:
            invitation.channel = channel
            return response
    response = SurveyResponse(
        survey_id=invitation.survey_id,
        version_id=live_version(invitation.survey).id,
        submit_token=secrets.token_urlsafe(24),
    )
    db.session.add(response)
    db.session.flush()
    invitation.response_id = response.id
    invitation.channel = channel
    return response


def open_at_counter(clerk: User, application: Application) -> RatingInvitation:
    """A clerk opens the rating for a tablet at the counter: a fresh short-lived link (the application is theirs)."""
    invitation = invitation_of(application)
    if invitation is None:
        raise NotAllowed(_("This application has no rating to give yet."))
    if is_rated(invitation):
        raise NotAllowed(_("This service has been rated already."))
    invitation.counter_token = secrets.token_urlsafe(24)
    invitation.counter_expires_at = utcnow() + COUNTER_LINK_LIFETIME
    # Who handed the tablet over stays on record, since the rating then names the officers it is about.
    record("rating_opened_at_counter", "application", application.id, clerk.id)
    return invitation


def _measured(response: SurveyResponse, measures: dict) -> dict:
    keys = {value: name for name, value in measures.items()}
    rows = db.session.execute(
        select(SurveyQuestion.key, SurveyAnswer.choice, SurveyAnswer.number, SurveyAnswer.text)
        .join(SurveyAnswer, SurveyAnswer.question_id == SurveyQuestion.id)
        .where(SurveyAnswer.response_id == response.id, SurveyQuestion.key.in_(list(keys)))
    )
    found: dict = {}
    for key, choice, number, text in rows:
        name = keys[key]
        if name == "comment":
            found[name] = (text or "")[:5000]
        elif name == "on_time":
            found[name] = choice == "yes" if choice in ("yes", "no") else (number is not None and number >= 3)
        elif number is not None:
            found[name] = int(number)
    return found


def officers_of(application: Application) -> list[int]:
    """Who handled the file: every holder of one of its steps (the step log), and whoever holds it now."""
    holders = db.session.scalars(
        select(ApplicationStep.holder_id)
        .where(ApplicationStep.application_id == application.id, ApplicationStep.holder_id.is_not(None))
        .order_by(ApplicationStep.entered_at)
    ).all()
    return list(dict.fromkeys([*holders, *([application.holder_id] if application.holder_id else [])]))


def submit_rating(invitation: RatingInvitation, response: SurveyResponse, token: str) -> ServiceRating:
    """Count the survey response, then store the compact rating beside it (in the same transaction)."""
    answering.submit(response, token)
    application = db.session.get(Application, invitation.application_id)
    measured = _measured(response, invitation.measures)
    moment = utcnow()
    rating = ServiceRating(
        application_id=application.id,
        response_id=response.id,
        agency_id=application.receiving_agency_id,
        procedure_id=application.procedure_id,
        overall=measured.get("overall", 0),
        on_time=measured.get("on_time"),
        guidance=measured.get("guidance"),
        conduct=measured.get("conduct"),
        comment=measured.get("comment", ""),
        channel=RatingChannel(invitation.channel or RatingChannel.ONLINE),
        created_at=moment,
        rated_on=localtime.today(moment=moment),
        officers=[ServiceRatingOfficer(user_id=user_id) for user_id in officers_of(application)],
    )
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:  # the counter and the online link sent at once: the first one counts
        raise answering.AlreadyAnswered(_("This service has been rated already. Thank you.")) from None
    invitation.counter_token = None
    invitation.counter_expires_at = None
    return rating
