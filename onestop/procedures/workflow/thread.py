"""The message thread between the applicant and the officers handling the file."""

from __future__ import annotations

from flask_babel import gettext as _

from onestop.accounts.models import User
from onestop.datastore.models import IssuedType, Provenance
from onestop.datastore.services import add_document
from onestop.errors import InvalidInput, NotFound
from onestop.extensions import db
from onestop.notifications.notify import agency_staff, notify_applicant, notify_staff
from onestop.procedures.models import Application, ApplicationMessage, ApplicationState
from onestop.procedures.workflow.common import REASON_MAX
from onestop.procedures.workflow.notices import RECEIVING_ROLES
from onestop.procedures.workflow.table import may_handle


def may_write(user: User, application: Application) -> bool:
    if application.state_enum is ApplicationState.DRAFT:
        return False
    is_lead_staff = may_handle(user, application) and user.agency_id == application.receiving_agency_id
    return user.id in (application.applicant_id, application.submitter_id) or is_lead_staff


def post_message(application: Application, author: User, body: str, received=None) -> ApplicationMessage:
    if not may_write(author, application):
        raise NotFound(_("There is no such application in your account."))
    body = (body or "").strip()
    if not body and received is None:
        raise InvalidInput(_("Write a message or attach a file."))
    document = None
    if received is not None:
        owner = db.session.get(User, application.applicant_id)
        document = add_document(
            owner,
            IssuedType.MESSAGE,
            received,
            received.filename,
            added_by=author,
            provenance=Provenance.ISSUED if author.is_staff else Provenance.UPLOADED,
            source_application_id=application.id,
        )
    message = ApplicationMessage(author_id=author.id, body=body[: REASON_MAX * 2], document=document)
    application.messages.append(message)
    if author.is_staff:
        notify_applicant(application, "message_from_agency", message=body)
    else:
        holder = db.session.get(User, application.holder_id) if application.holder_id else None
        readers = [holder] if holder is not None else agency_staff(application.receiving_agency_id, RECEIVING_ROLES)
        notify_staff(readers, "staff_citizen_message", application, message=body, author=author.full_name)
    db.session.flush()
    return message
