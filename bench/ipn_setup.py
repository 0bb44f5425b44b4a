"""Helper of bench/ipn.py: submitted applications whose fee is due, each with one trip to the gateway begun.

    python -m bench.ipn_setup COUNT     (from the repository root, with the benchmark's environment)

Creates one confirmed citizen and COUNT applications for the criminal record certificate of
provinces/demo in the submitted state (answers complete; the documents are not what is measured),
makes each fee due with the app's own service (`payments.services.open_order`) and starts one
payment for each (`payments.services.start_payment`), as the "Pay now" button does. Prints one JSON
object: per attempt, the signed parameters of the gateway URL the citizen would have been sent to.
"""

import json
import sys
from urllib.parse import parse_qsl, urlsplit

from onestop import create_app
from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.models import utcnow
from onestop.payments import services
from onestop.procedures.models import Application, ApplicationState, ProcedureVersion
from onestop.procedures.services import get_procedure
from onestop.provinces.services import served_province

SLUG = "cap-phieu-ly-lich-tu-phap"
ANSWERS = {"kind": "1", "copies": 2, "purpose": "Bench", "lived_elsewhere": False}


def create(count: int) -> list[dict[str, str]]:
    procedure = get_procedure(served_province(), SLUG)
    version = db.session.scalar(
        db.select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == procedure.id, ProcedureVersion.number == procedure.version
        )
    )
    user = User(
        full_name="Nguyễn Thị Bench",
        citizen_id="001190099999",
        email="bench-ipn@example.com",
        role=Role.CITIZEN,
        email_confirmed_at=utcnow(),
        privacy_consent_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    requests = []
    for n in range(1, count + 1):
        application = Application(
            code=f"BENCH-IPN-{n:06d}",
            procedure=procedure,
            procedure_version=version,
            receiving_agency_id=procedure.receiving_agency_id,
            applicant_id=user.id,
            submitter_id=user.id,
            state=ApplicationState.SUBMITTED,
            answers=ANSWERS,
            completed_steps=[],
            submitted_at=utcnow(),
        )
        db.session.add(application)
        db.session.flush()
        if services.open_order(application) is None:
            raise SystemExit(f"application {application.id} owes nothing: the demo schedule changed?")
        url = services.start_payment(application, user, "127.0.0.1", "vi")
        requests.append(dict(parse_qsl(urlsplit(url).query)))
        if n % 100 == 0:
            db.session.commit()
    db.session.commit()
    return requests


def main() -> None:
    count = int(sys.argv[1])
    app = create_app()
    with app.test_request_context():  # The return URL is built with url_for, and names are localized.
        print(json.dumps(create(count)))


if __name__ == "__main__":
    main()
