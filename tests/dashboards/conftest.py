"""A month of files at the demo province's police, whose every figure is worked out by hand below.

All times are 09:00 in Vietnam (02:00 UTC); November 2026 has no holiday; each procedure takes 5
working days, the day of receipt not counted. Police, November 2026:

- A1: online Mon 2; clock from 2, due Mon 9; result online Fri 6; fee paid online. On time, 4 working days.
- A2: online Mon 2; due Mon 9, then an apology with a new date (12); result at the counter Wed 11; fee not
  paid online. Late (the apology does not make it on time), 7 days.
- A3: at the counter Tue 3; clock from 3, stopped Wed 4 for a supplement, started again Mon 9, due Mon 16;
  result online Fri 13. On time thanks to the stopped clock, 1 + 4 = 5 days.
- A4: online Wed 4; due Wed 11; refused during processing Thu 5. On time, refused, 1 day.
- A5: online Thu 5; never accepted; refused at reception Thu 5. Refused, not decided.
- A6: online Fri 6 at the ward, sent on to the police the same day, waiting. The ward's transfer, the
  police's arrival.
- A7: online Tue 10; due Tue 17; still in progress. Overdue now.
- A9: online Thu 12, reusing a paper held since October; waiting. Reused.
- A10: at the counter Thu 12, for a procedure offered only partly online; waiting.
- A8: a draft. Not counted.

Papers and results (both procedures require a paper): A1 and A2 attached a paper uploaded while filing, A3's
was scanned at the counter, A7 attached one, A9 the reused one; the others none. A1 and A3 have a signed
result in the applicant's warehouse; A2's result was handed over on paper with none signed.
Digitised (papers held, and the result signed electronically once issued): A1, A3, A7, A9. Shared for
reuse (a warehouse paper reused, or the result stored in the warehouse): A1, A3, A9.

Received 9 (online 7; of full-process procedures 8, online 7; reusing 1; digitised 4; shared for reuse 3).
Decided 4: on time 3, late 1; satisfied in receiving and processing (on time, no unsatisfied rating, no
complaint) 3. Refused 2. Results 3, online 2. With a fee 2, paid online 1. Overdue now 1. Working days
4, 7, 5, 1: average 4.25 (shown 4.2), 90th percentile 7. The ward: 1 sent on, nothing else.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from onestop.accounts.models import Role
from onestop.dashboards.aggregate import rebuild
from onestop.datastore.models import Blob, Document, IssuedType, Provenance
from onestop.extensions import db
from onestop.payments.models import PaymentOrder
from onestop.procedures.models import (
    Application,
    ApplicationDocument,
    ApplicationStep,
    ClockEntry,
    Procedure,
    ProcedureVersion,
)
from onestop.provinces.models import Agency
from onestop.results.models import SignedDocument, SignedKind, SigningState

POLICE = "000.00.02.H99"
WARD = "000.00.30.H99"
NOVEMBER = {"period": "range", "from": "2026-11-01", "to": "2026-11-30"}


def at(day: int, hour: int = 2, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _procedure(slug: str) -> tuple[int, int]:
    procedure = db.session.scalar(select(Procedure).where(Procedure.slug == slug))
    version = db.session.scalar(select(ProcedureVersion.id).where(ProcedureVersion.procedure_id == procedure.id))
    return procedure.id, version


@pytest.fixture
def people(create_staff, create_citizen):
    return {
        "leader": create_staff(Role.LEADER, POLICE, "Ngô Thanh Sơn"),
        "clerk": create_staff(Role.CLERK, POLICE, "Đặng Thị Lan"),
        "specialist": create_staff(Role.SPECIALIST, POLICE, "Bùi Văn Nam"),
        "ward_leader": create_staff(Role.LEADER, WARD, "Phạm Thu Trang"),
        "admin": create_staff(Role.PROVINCE_ADMIN, None, "Trịnh Quốc Huy"),
        "citizen": create_citizen(full_name="Lê Thị Hoa"),
    }


@pytest.fixture
def month(app, demo, people):
    """The files of the table above, aggregated; returns {name: application}."""
    police = db.session.scalar(select(Agency).where(Agency.code == POLICE))
    ward = db.session.scalar(select(Agency).where(Agency.code == WARD))
    citizen, clerk = people["citizen"], people["clerk"]
    full = _procedure("cap-phieu-ly-lich-tu-phap")
    partial_id, partial_version = _procedure("dang-ky-thuong-tru")
    db.session.get(Procedure, partial_id).online_level = "partial"
    files: dict[str, Application] = {}

    def make(name, filed, state, submitter=citizen, procedure=full, agency=police, **extra):
        application = Application(
            code=f"MS-{name}",
            procedure_id=procedure[0],
            procedure_version_id=procedure[1],
            receiving_agency_id=agency.id,
            applicant_id=citizen.id,
            submitter_id=submitter.id,
            state=state,
            created_at=filed,
            submitted_at=filed if state != "draft" else None,
            updated_at=filed,
            **extra,
        )
        db.session.add(application)
        db.session.flush()
        files[name] = application
        return application

    def clock(application, *entries):
        for kind, moment, extra in entries:
            db.session.add(ClockEntry(application_id=application.id, kind=kind, at=moment, **extra))

    a1 = make("A1", at(2), "returned", accepted_at=at(2), finished_at=at(6), result_delivery="online")
    clock(a1, ("start", at(2), {"working_days": 5}))
    a2 = make("A2", at(2), "returned", accepted_at=at(2), finished_at=at(11), result_delivery="counter")
    clock(a2, ("start", at(2), {"working_days": 5}), ("extend", at(9), {"due_on": date(2026, 11, 12)}))
    a3 = make("A3", at(3), "returned", submitter=clerk, accepted_at=at(3), finished_at=at(13))
    clock(
        a3,
        ("start", at(3), {"working_days": 5}),
        ("suspend", at(4, 3), {"reason": "thiếu giấy"}),
        ("start", at(9), {"working_days": 5}),
    )
    a4 = make("A4", at(4), "refused", accepted_at=at(4), finished_at=at(5))
    clock(a4, ("start", at(4), {"working_days": 5}))
    make("A5", at(5), "refused", finished_at=at(5, 4))
    a6 = make("A6", at(6), "submitted")
    db.session.add(
        ApplicationStep(
            application_id=a6.id,
            step_id="reception",
            stage="reception",
            agency_id=ward.id,
            role="clerk",
            entered_at=at(6),
            left_at=at(6, 5),
            outcome="transferred",
        )
    )
    a7 = make("A7", at(10), "in_progress", accepted_at=at(10), due_on=date(2026, 11, 17))
    clock(a7, ("start", at(10), {"working_days": 5}))
    a9 = make("A9", at(12), "submitted")
    blob = Blob(sha256="a" * 64, size=10, content_type="application/pdf")
    held = Document(
        owner_id=citizen.id,
        document_type_code="the-can-cuoc",
        title="Thẻ căn cước",
        blob_sha256=blob.sha256,
        filename="cccd.pdf",
        created_at=at(20, month=10),
    )
    db.session.add_all([blob, held])
    db.session.flush()
    db.session.add(ApplicationDocument(application_id=a9.id, document_id=held.id, document_type_code="the-can-cuoc"))
    for application in (a1, a2, a3, a7):
        paper = Document(
            owner_id=citizen.id,
            document_type_code="the-can-cuoc",
            title="Thẻ căn cước",
            blob_sha256=blob.sha256,
            filename="cccd.pdf",
            created_at=application.created_at,
        )
        db.session.add(paper)
        db.session.flush()
        db.session.add(
            ApplicationDocument(application_id=application.id, document_id=paper.id, document_type_code="the-can-cuoc")
        )
    for application in (a1, a3):
        result = Document(
            owner_id=citizen.id,
            document_type_code=IssuedType.RESULT.value,
            title="Phiếu lý lịch tư pháp",
            provenance=Provenance.ISSUED.value,
            source_application_id=application.id,
            blob_sha256=blob.sha256,
            filename=f"{application.code}.pdf",
            created_at=application.finished_at,
        )
        db.session.add(result)
        db.session.flush()
        db.session.add(
            SignedDocument(
                kind=SignedKind.RESULT.value,
                application_id=application.id,
                agency_id=police.id,
                title={"vi": "Phiếu lý lịch tư pháp"},
                verification_code=f"VC-{application.code}",
                state=SigningState.SIGNED.value,
                blob_sha256=blob.sha256,
                document_id=result.id,
                signed_at=application.finished_at,
            )
        )
    make("A10", at(12), "submitted", submitter=clerk, procedure=(partial_id, partial_version))
    make("A8", at(13), "draft")
    for application, amount, state in ((a1, 100_000, "paid"), (a2, 50_000, "due")):
        db.session.add(
            PaymentOrder(
                application_id=application.id,
                payer_id=citizen.id,
                amount=amount,
                payment_moment="on_submission",
                quote={},
                state=state,
            )
        )
    db.session.commit()
    rebuild(demo, until=date(2026, 12, 2))
    db.session.commit()
    return files
