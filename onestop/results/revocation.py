"""Revoking a signed document: who may, what it records, who is told.

A signed PDF stays mathematically valid for ever; what changes is the portal's word on it. Revoking writes
when, why and by whom on the document's row; from then on the verification page says "revoked" with the
reason, the applicant sees it on their application and in their warehouse, and is told on their channels.

The rule, in the style of the workflow's table (`refusal()` answers why not, `None` when allowed): an active
leader of the agency that issued the document, once it is signed and not already revoked. A leader signs the
agency's decisions, so a leader withdraws them; an agency admin, a specialist or anyone at another agency
may not. Pages ask `may_revoke`; the service asks `revocation_refusal` again before it acts.
"""

from __future__ import annotations

from flask_babel import gettext as _

from onestop.accounts.models import Role, User
from onestop.audit.services import record
from onestop.errors import InvalidInput
from onestop.extensions import db
from onestop.localtime import now
from onestop.notifications.notify import notify_applicant
from onestop.procedures.models import Application
from onestop.results.models import SignedDocument, SigningState

REASON_MAX_LENGTH = 1000


def revocation_refusal(actor: User, document: SignedDocument) -> str | None:
    """Why this person may not revoke this document now; None if they may."""
    is_leader = bool(
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role == Role.LEADER
        and actor.agency_id is not None
    )
    if not is_leader or actor.agency_id != document.agency_id:
        return _("Only a leader of the agency that issued this document can revoke it.")
    if document.revoked_at is not None:
        return _("This document was already revoked.")
    if document.state != SigningState.SIGNED:
        return _("Only a signed document can be revoked.")
    return None


def may_revoke(actor: User, document: SignedDocument | None) -> bool:
    return document is not None and revocation_refusal(actor, document) is None


def revoke(actor: User, document: SignedDocument, reason: str) -> None:
    """Revoke with a reason the applicant and every verifier will read; tell the applicant."""
    refusal = revocation_refusal(actor, document)
    if refusal:
        raise InvalidInput(refusal)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the document is revoked: the applicant and anyone checking it will read it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX_LENGTH))
    document.revoked_at = now()
    document.revoked_reason = reason
    document.revoked_by_id = actor.id
    record(
        "signed_document.revoked",
        "signed_document",
        document.id,
        actor.id,
        code=document.verification_code,
        reason=reason,
    )
    application = db.session.get(Application, document.application_id) if document.application_id else None
    if application is not None:
        notify_applicant(
            application,
            "result_revoked",
            document=document.title,
            verification_code=document.verification_code,
            reason=reason,
        )
