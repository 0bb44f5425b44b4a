"""Helper of bench/filing.py: confirmed citizens, each with a draft whose answers are complete.

    python -m bench.filing_setup COUNT     (from the repository root, with the benchmark's environment)

Creates COUNT confirmed citizen accounts in the configured database, opens for each a draft of the
criminal record certificate of provinces/demo with the app's own services (`filing.start_application`),
and answers every step with the app's own checks (`read_step`, then `filing.save_step`), as the step
pages would. What is left to do is what the benchmark measures: upload the ID card, then submit.
Prints one JSON object: the password and, per citizen, the e-mail address and the draft's id.
"""

import json
import sys
from datetime import date

from werkzeug.datastructures import MultiDict

from onestop import create_app
from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.models import utcnow
from onestop.procedures import filing
from onestop.procedures.filling import read_step, visible_steps
from onestop.procedures.services import get_procedure
from onestop.provinces.services import served_province

SLUG = "cap-phieu-ly-lich-tu-phap"
DOCUMENT_TYPE = "the-can-cuoc"
PASSWORD = "bench horse 42"
EMAIL = "bench{n}@example.com"


def answers(n: int) -> dict:
    """What a citizen types on the three steps (the field names of provinces/demo's form)."""
    return {
        "full_name": f"Nguyễn Thị Bench {n}",
        "other_names": "",
        "gender": "female",
        "birth_date-day": "27",
        "birth_date-month": "3",
        "birth_date-year": "1990",
        # 001: Hà Nội, 1: a woman born in the 20th century, 90: born in 1990, then six digits.
        "citizen_id": f"0011900{n:05d}",
        "address-unit": "99101",
        "address-street": f"{n} Đường Lê Lợi",
        "phone": f"091{n:07d}",
        "kind": "1",
        "copies": "2",
        "purpose": "Bổ sung hồ sơ xin việc",
        "lived_elsewhere": "no",
    }


def create(count: int) -> list[dict]:
    province = served_province()
    procedure = get_procedure(province, SLUG)
    units = {code for code, *_ in province.address_units()}
    today = date.today()
    password_hash = None
    created = []
    for n in range(1, count + 1):
        user = User(
            full_name=f"Nguyễn Thị Bench {n}",
            citizen_id=f"0011900{n:05d}",
            email=EMAIL.format(n=n),
            role=Role.CITIZEN,
            email_confirmed_at=utcnow(),
            privacy_consent_at=utcnow(),
        )
        if password_hash is None:
            user.set_password(PASSWORD)
            password_hash = user.password_hash
        user.password_hash = password_hash  # One (slow) hash for everybody: same password, and setup is faster.
        db.session.add(user)
        db.session.flush()
        application = filing.start_application(procedure, user)
        data = MultiDict(answers(n))
        for step in visible_steps(filing.form_of(application), application.answers):
            result = read_step(step, data, application.answers, units, today)
            if not result.ok:
                raise SystemExit(f"step {step.id} of draft {application.id} refused: {result.errors}")
            filing.save_step(application, user, step.id, result)
        if filing.next_step_id(application) is not None:
            raise SystemExit(f"draft {application.id} still has unanswered steps")
        if [slot["type"] for slot in filing.missing_documents(application)] != [DOCUMENT_TYPE]:
            raise SystemExit(f"draft {application.id} does not wait for exactly one {DOCUMENT_TYPE}")
        created.append({"email": user.email, "application": application.id})
        if n % 100 == 0:
            db.session.commit()
    db.session.commit()
    return created


def main() -> None:
    count = int(sys.argv[1])
    app = create_app()
    with app.test_request_context():  # Province names are localized, which needs a language.
        citizens = create(count)
    print(json.dumps({"password": PASSWORD, "document_type": DOCUMENT_TYPE, "citizens": citizens}))


if __name__ == "__main__":
    main()
