"""The facts a slip prints, frozen when it is issued."""

from __future__ import annotations

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.procedures.filling import address_line
from onestop.procedures.models import Application


def slip_facts(application: Application, actor: User | None) -> dict:
    applicant = db.session.get(User, application.applicant_id)
    return {
        "code": application.code,
        "procedure": application.procedure.display_name(),
        "agency": application.receiving_agency.display_name(),
        "agency_address": application.receiving_agency.address,
        "officer": actor.full_name if actor else "",
        "applicant": {
            "name": applicant.full_name,
            "citizen_id": applicant.citizen_id or "",
            "phone": applicant.phone or "",
            "email": applicant.email or "",
            "address": applicant_address(applicant, application.receiving_agency.province),
        },
        "documents": [
            {"title": link.document.title, "type": link.document_type_code} for link in application.documents
        ],
        "accepted_at": application.accepted_at.isoformat() if application.accepted_at else None,
        "due_on": application.due_on.isoformat() if application.due_on else None,
        "delivery": str(application.result_delivery),
    }


def applicant_address(applicant: User, province) -> str:
    """The applicant's address as remembered from their filings, on one line for slips and the book."""
    return address_line((applicant.facts or {}).get("address"), province.unit_names())
