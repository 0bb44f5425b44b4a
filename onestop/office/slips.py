"""From an application and the facts frozen on its issued slips to the records onestop/slips renders.

The slips are official forms in Vietnamese (Circular 01/2018/TT-VPCP, forms 01–06): the few words
written here (a default reason, a step's name) are the forms' Vietnamese, not interface strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import localtime
from onestop.accounts.models import User
from onestop.extensions import db
from onestop.i18n import localized
from onestop.links import public_link
from onestop.procedures.filling import address_line
from onestop.procedures.models import DECIDED_STATES, Application, IssuedSlip, SlipKind
from onestop.provinces.models import Agency
from onestop.slips import data as slips

# A result due "on" a day is due by the end of that working day.
END_OF_DAY = time(17, 0)
SUPPLEMENT_REASON = "Hồ sơ chưa đầy đủ hoặc chưa hợp lệ theo quy định của thủ tục hành chính."


def _zone(application: Application) -> ZoneInfo:
    return localtime.zone(application.receiving_agency.province)


def _due(day: date | str | None, zone: ZoneInfo) -> datetime | None:
    if day is None:
        return None
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


def _at(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def status_url(application: Application) -> str:
    return public_link("procedures.status_lookup", code=application.code)


def _header(
    application: Application,
    issued_at: datetime,
    officer: str,
    agency: Agency | None = None,
    verification_code: str = "",
) -> slips.SlipHeader:
    agency = agency or application.receiving_agency
    province_name = localized(agency.province.name)
    return slips.SlipHeader(
        province_name=province_name,
        agency_name=localized(agency.name, "vi"),
        parent_body=localized(agency.parent.name, "vi") if agency.parent else province_name,
        place_name=province_name.replace("Tỉnh ", "").replace("tỉnh ", ""),
        issued_at=issued_at,
        officer_name=officer,
        application_code=application.code,
        status_url=status_url(application),
        timezone=localtime.zone(agency.province).key,
        verification_code=verification_code,
        verification_url=public_link("verify.by_code", code=verification_code) if verification_code else "",
    )


def _party(facts: dict) -> slips.Party:
    person = facts.get("applicant") or {}
    return slips.Party(
        name=person.get("name", ""),
        citizen_id=person.get("citizen_id", ""),
        address=person.get("address", ""),
        phone=person.get("phone", ""),
        email=person.get("email", ""),
    )


def issued_slip(slip: IssuedSlip) -> slips.Slip:
    """The record of a slip as it was issued, from the facts frozen on it."""
    application = slip.application
    facts = slip.facts
    zone = _zone(application)
    common = {
        "header": _header(
            application, slip.issued_at, facts.get("officer", ""), verification_code=facts.get("verification_code", "")
        ),
        "applicant": _party(facts),
        "procedure_name": facts.get("procedure", ""),
        "received_at": _at(facts.get("accepted_at")) or application.submitted_at,
    }
    match slip.kind:
        case SlipKind.RECEIPT:
            return slips.ReceiptSlip(
                **common,
                documents=tuple(
                    slips.ReceivedDocument(document["title"], slips.DocumentForm.ELECTRONIC_COPY)
                    for document in facts.get("documents", [])
                ),
                due_at=_due(facts.get("due_on"), zone),
                result_delivery=slips.ResultDelivery(facts.get("delivery", "online")),
                processing_days=facts.get("processing_days"),
            )
        case SlipKind.SUPPLEMENT:
            agency = application.receiving_agency
            return slips.SupplementSlip(
                **common,
                items=tuple(slips.SupplementItem(item["title"], item["note"]) for item in facts.get("items", [])),
                reason=SUPPLEMENT_REASON,
                contact=slips.Contact(
                    name=facts.get("agency", ""),
                    phone=agency.phone,
                    email=agency.email,
                    website=current_app.config["PUBLIC_URL"],
                ),
            )
        case SlipKind.REFUSAL:
            return slips.RefusalSlip(**common, reason=facts.get("reason", ""))
        case SlipKind.APOLOGY:
            return slips.ApologySlip(
                **common,
                original_due_at=_due(facts.get("original_due_on"), zone),
                new_due_at=_due(facts.get("new_due_on"), zone),
                reason=facts.get("reason", ""),
            )
    raise ValueError(f"no slip record for {slip.kind}")


# --- The process-control slip (Mẫu 05), drawn live from the history ------------------------------------

STAGE_NAMES = {
    "reception": "tiếp nhận hồ sơ",
    "processing": "thẩm định, xử lý",
    "coordination": "phối hợp, cho ý kiến",
    "approval": "phê duyệt",
    "delivery": "trả kết quả",
}
OUTCOME_NOTES = {
    "sent_back": "Trả lại bước trước",
    "suspended": "Dừng chờ bổ sung hồ sơ",
    "transferred": "Chuyển cơ quan có thẩm quyền",
    "ended": "Hồ sơ kết thúc",
}


def _mark(done_at: datetime | None, due_at: datetime | None) -> slips.StepMark | None:
    """Early (a day or more ahead), on time, or late against the step's own due time."""
    if done_at is None or due_at is None:
        return None
    if done_at > due_at:
        return slips.StepMark.LATE
    if done_at.astimezone(due_at.tzinfo).date() < due_at.date():
        return slips.StepMark.EARLY
    return slips.StepMark.ON_TIME


def control_slip(application: Application) -> slips.ControlSlip:
    """Each hand-over of the file, step by step from the route's log, and whether each step kept its time."""
    from onestop.procedures.workflow.steps import route_of

    zone = _zone(application)
    due_at = _due(application.due_on, zone)
    route = route_of(application)
    rows = []
    previous_by = application.applicant.full_name
    for visit in application.steps:
        try:
            title = route.step(visit.step_id).title.get("vi", "")
        except KeyError:
            title = ""
        received_by = visit.holder.full_name if visit.holder else visit.agency.display_name()
        step_due = visit.due_at.astimezone(zone) if visit.due_at else due_at
        rows.append(
            slips.ControlRow(
                step=f"{visit.agency.display_name()} — {title or STAGE_NAMES.get(visit.stage, visit.stage)}",
                handed_by=previous_by,
                received_by=received_by,
                handed_at=visit.entered_at,
                due_at=step_due or _due(visit.entered_at.astimezone(zone).date(), zone),
                done_at=visit.left_at,
                mark=_mark(visit.left_at, step_due),
                note=OUTCOME_NOTES.get(visit.outcome or "", "") or (visit.note[:200] if visit.note else ""),
            )
        )
        previous_by = received_by
    facts_officer = _names({application.holder_id}).get(application.holder_id, "") if application.holder_id else ""
    return slips.ControlSlip(
        header=_header(application, datetime.now(UTC), facts_officer),
        applicant=_party(
            {
                "applicant": {
                    "name": application.applicant.full_name,
                    "citizen_id": application.applicant.citizen_id or "",
                    "phone": application.applicant.phone or "",
                }
            }
        ),
        procedure_name=application.procedure.display_name(),
        received_at=application.accepted_at or application.submitted_at,
        due_at=due_at or _due(application.submitted_at.astimezone(zone).date(), zone),
        processing_agency=", ".join(dict.fromkeys(visit.agency.display_name() for visit in application.steps))
        or application.receiving_agency.display_name(),
        rows=tuple(rows),
    )


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


# --- The tracking book (Mẫu 06) ---------------------------------------------------------------------------


def book_rows(agency_id: int, first: date, last: date, zone: ZoneInfo) -> list[slips.BookRow]:
    """Applications the agency accepted between `first` and `last` (local days), in order of acceptance."""
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last, time.max, tzinfo=zone)
    applications = db.session.scalars(
        select(Application)
        .where(
            Application.receiving_agency_id == agency_id,
            Application.accepted_at >= start,
            Application.accepted_at <= end,
        )
        .order_by(Application.accepted_at, Application.id)
        .options(
            selectinload(Application.events),
            selectinload(Application.applicant),
            selectinload(Application.procedure),
        )
    ).all()
    rows = []
    unit_names = applications[0].receiving_agency.province.unit_names() if applications else {}
    for number, application in enumerate(applications, start=1):
        applicant = application.applicant
        returned = next((e.created_at for e in application.events if e.to_state in DECIDED_STATES), None)
        approved = next((e.created_at for e in application.events if e.action == "approve"), None)
        rows.append(
            slips.BookRow(
                number=number,
                application_code=application.code,
                procedure_name=application.procedure.display_name(),
                applicant_name=applicant.full_name,
                applicant_contact=", ".join(
                    part
                    for part in (address_line((applicant.facts or {}).get("address"), unit_names), applicant.phone)
                    if part
                ),
                processing_agency=application.receiving_agency.display_name(),
                received_at=application.accepted_at,
                due_at=_due(application.due_on, zone) or application.accepted_at,
                result_at=approved,
                returned_at=returned,
                note=application.state_enum.title,
            )
        )
    return rows
