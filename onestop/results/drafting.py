"""Drafting a result: the template's fields filled from the answers, corrected by the specialist, rendered.

Each save renders the page and stores the unsigned PDF as a blob; its SHA-256 is what the leader is shown
and exactly what the signing task signs. A procedure without a template takes an uploaded PDF instead; a
refusal letter is drafted from the proposal's reason. The verification code is fixed with the first draft,
because it is printed on the page.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.accounts.models import User
from onestop.datastore.services import record_blob, store_generated
from onestop.errors import InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.procedures.models import Application
from onestop.procedures.workflow.processing import Decision, result_names
from onestop.procedures.workflow.table import Action, offers
from onestop.results.codes import new_code, verification_url
from onestop.results.models import ResultDraft, SignedKind, SigningState
from onestop.results.render import FRAME_DIR, ResultPage, render_result_pdf

FIELD_MAX = 2000
DRAFTING_ACTIONS = {Action.PROPOSE, Action.APPROVE}


def template_of(application: Application) -> dict | None:
    return application.definition.get("result_template")


def draft_of(application: Application) -> ResultDraft | None:
    return db.session.scalar(select(ResultDraft).where(ResultDraft.application_id == application.id))


def may_draft(actor: User, application: Application) -> bool:
    """The specialist holding the file, or the leader about to approve it, may correct the draft."""
    return bool(DRAFTING_ACTIONS & {permit.transition.action for permit in offers(actor, application)})


def is_refusal(application: Application) -> bool:
    return application.proposal == Decision.REFUSE


def _answer_text(application: Application, field_id: str) -> str:
    """An answer as printed: choices by their Vietnamese label, dates as dd/mm/yyyy, addresses as one line."""
    value = (application.answers or {}).get(field_id)
    if value in (None, ""):
        return ""
    for step in (application.definition.get("form") or {}).get("steps", []):
        for spec in step.get("fields", []):
            if spec.get("id") == field_id and spec.get("type") == "choice":
                for option in spec.get("options", []):
                    if option.get("value") == value:
                        return localized(option.get("label") or {}, "vi")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, dict):
        return ", ".join(str(part) for part in value.values() if part not in (None, ""))
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)


def field_specs(application: Application) -> list[dict]:
    spec = template_of(application)
    return list(spec.get("fields", [])) if spec else []


def default_fields(application: Application) -> dict:
    if is_refusal(application):
        return {"reason": application.proposal_note}
    values = {}
    for spec in field_specs(application):
        filled = _answer_text(application, spec["source"]) if spec.get("source") else ""
        values[spec["id"]] = filled or spec.get("default") or ""
    return values


def page_for(application: Application, draft: ResultDraft) -> ResultPage:
    agency = application.receiving_agency
    province = agency.province
    refusing = draft.kind == SignedKind.REFUSAL
    body = (FRAME_DIR / "refusal.html").read_text() if refusing else (template_of(application) or {}).get("html", "")
    title = "Thông báo từ chối giải quyết hồ sơ" if refusing else localized(result_names(application), "vi")
    return ResultPage(
        title=title,
        agency=localized(agency.name, "vi"),
        parent_agency=localized(agency.parent.name, "vi") if agency.parent else "",
        place=localized(province.name, "vi"),
        issued_at=draft.updated_at,
        timezone=province.timezone,
        application_code=application.code or "",
        applicant=application.applicant.full_name,
        body=body,
        verification_code=draft.verification_code,
        verification_url=verification_url(draft.verification_code),
        fields=dict(draft.fields),
        emblem=province.logo,
        emblem_type=province.logo_type or "image/svg+xml",
    )


def _new_draft(application: Application, actor: User, kind: SignedKind) -> ResultDraft:
    draft = ResultDraft(
        application_id=application.id, kind=kind, fields={}, verification_code=new_code(), updated_by_id=actor.id
    )
    db.session.add(draft)
    return draft


def _refuse_while_signing(draft: ResultDraft | None) -> None:
    if draft is not None and draft.signed_document_id is not None:
        from onestop.results.models import SignedDocument

        signed = db.session.get(SignedDocument, draft.signed_document_id)
        if signed is not None and signed.state != SigningState.FAILED:
            raise NotAllowed(_("The result is being signed or was signed: it can no longer be changed."))


def _render_and_store(application: Application, draft: ResultDraft, actor: User) -> ResultDraft:
    draft.updated_at = utcnow()
    draft.updated_by_id = actor.id
    draft.uploaded = False
    pdf = render_result_pdf(page_for(application, draft))
    draft.pdf_sha256 = store_generated(pdf, f"{application.code or 'result'}.pdf").sha256
    db.session.flush()
    return draft


def check_fields(application: Application, typed: dict) -> tuple[dict, dict]:
    """The typed values, kept whatever happens, and a message per field that cannot be printed."""
    values, errors = {}, {}
    for spec in field_specs(application):
        value = (typed.get(spec["id"]) or "").replace("\r\n", "\n").strip()
        if not spec.get("multiline"):
            value = " ".join(value.split())
        values[spec["id"]] = value
        if len(value) > FIELD_MAX:
            errors[spec["id"]] = _("Keep this under %(count)s characters.", count=FIELD_MAX)
        elif not value and spec.get("default") != "":
            errors[spec["id"]] = _("Fill this in: it is printed on the result.")
    return values, errors


def save_draft(application: Application, actor: User, typed: dict) -> ResultDraft:
    """Save corrected fields and render the draft again; raises InvalidInput (with `.fields`) on bad values."""
    if not may_draft(actor, application):
        raise NotAllowed(_("Only the officer holding this application can do this."))
    if template_of(application) is None:
        raise InvalidInput(_("This procedure has no result template: upload the result as a PDF."))
    draft = draft_of(application)
    _refuse_while_signing(draft)
    values, errors = check_fields(application, typed)
    if errors:
        error = InvalidInput(_("Some fields need correcting."))
        error.fields = errors
        raise error
    draft = draft or _new_draft(application, actor, SignedKind.RESULT)
    draft.kind = SignedKind.RESULT
    draft.fields = values
    return _render_and_store(application, draft, actor)


def upload_draft(application: Application, actor: User, received) -> ResultDraft:
    """A result made elsewhere: the uploaded PDF (already checked by content and stored) is signed as it is."""
    if not may_draft(actor, application):
        raise NotAllowed(_("Only the officer holding this application can do this."))
    if received is None:
        raise InvalidInput(_("Attach the result document (PDF) to issue it."))
    if received.content_type != "application/pdf":
        raise InvalidInput(_("The result must be a PDF file."))
    draft = draft_of(application)
    _refuse_while_signing(draft)
    draft = draft or _new_draft(application, actor, SignedKind.RESULT)
    draft.kind = SignedKind.RESULT
    draft.uploaded = True
    record_blob(received)  # bytes never uploaded before have no blob row yet
    draft.pdf_sha256 = received.sha256
    draft.updated_at = utcnow()
    draft.updated_by_id = actor.id
    db.session.flush()
    return draft


def draft_for_signing(application: Application, actor: User) -> ResultDraft | None:
    """The draft the leader signs: a refusal letter from the reason, else the specialist's draft (or one from the
    template's defaults when nobody corrected it). None when the procedure needs an uploaded PDF not given yet."""
    draft = draft_of(application)
    kind = SignedKind.REFUSAL if is_refusal(application) else SignedKind.RESULT
    current = draft is not None and draft.kind == kind and draft.pdf_sha256
    if current and (kind != SignedKind.REFUSAL or draft.fields.get("reason") == application.proposal_note):
        return draft
    if kind == SignedKind.RESULT and template_of(application) is None:
        return None
    _refuse_while_signing(draft)
    draft = draft or _new_draft(application, actor, kind)
    draft.kind = kind
    draft.fields = default_fields(application) if kind == SignedKind.REFUSAL or not draft.fields else draft.fields
    return _render_and_store(application, draft, actor)
