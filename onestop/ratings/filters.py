"""Results of a rating survey for one procedure or one agency: which responses count, and what may be chosen."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from onestop.extensions import db
from onestop.procedures.models.catalogue import Procedure
from onestop.provinces.models import Agency
from onestop.ratings.models import ServiceRating
from onestop.surveys.models import Survey, SurveyResponse


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


def _rated(survey: Survey):
    return (
        select(ServiceRating)
        .join(SurveyResponse, SurveyResponse.id == ServiceRating.response_id)
        .where(SurveyResponse.survey_id == survey.id)
    )


def choices(survey: Survey) -> tuple[list[Choice], list[Choice]]:
    """The procedures and agencies that have ratings in this survey, by name: what the filter offers."""
    rated = _rated(survey).subquery()
    procedures = db.session.scalars(select(Procedure).where(Procedure.id.in_(select(rated.c.procedure_id)))).all()
    agencies = db.session.scalars(select(Agency).where(Agency.id.in_(select(rated.c.agency_id)))).all()
    return (
        sorted((Choice(p.id, p.display_name()) for p in procedures), key=lambda c: c.label),
        sorted((Choice(a.id, a.display_name()) for a in agencies), key=lambda c: c.label),
    )


def responses_for(procedure_id: int | None, agency_id: int | None) -> Select | None:
    """The responses rating this procedure's and/or this agency's applications (None: no filter)."""
    if procedure_id is None and agency_id is None:
        return None
    query = select(ServiceRating.response_id).where(ServiceRating.response_id.is_not(None))
    if procedure_id is not None:
        query = query.where(ServiceRating.procedure_id == procedure_id)
    if agency_id is not None:
        query = query.where(ServiceRating.agency_id == agency_id)
    return query
