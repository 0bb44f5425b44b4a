"""Helper of bench/queues.py, run with the app: the police officers' sign-in, and the plans of the lists.

    python -m bench.queues_setup staff          (from the repository root, with the benchmark's environment)
    python -m bench.queues_setup explain JSON   (JSON: a list of {"name", "email", "query": {...}} to explain)

`staff` gives the clerk, the specialist and the leader of the provincial police (loaded from
provinces/demo/staff.yaml by `province load`) a known password and prints one JSON object: the
password, each officer's e-mail address and id, the agency's id and the province's "today".

`explain` runs EXPLAIN (ANALYZE, BUFFERS) of the exact statement `onestop.office.queues.queue_statement`
builds for each list, as the officer named by its e-mail address, and prints one JSON object: the
plan's lines per list.
"""

import json
import sys

from sqlalchemy import select

from onestop import create_app
from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.models import utcnow
from onestop.office import queues
from onestop.procedures import clock
from onestop.provinces.models import Agency

POLICE = "000.00.02.H99"
PASSWORD = "bench queue 42"
ROLES = (Role.CLERK, Role.SPECIALIST, Role.LEADER)


def staff() -> dict:
    agency = db.session.scalar(select(Agency).where(Agency.code == POLICE))
    officers = db.session.scalars(select(User).where(User.agency_id == agency.id, User.role.in_(ROLES))).all()
    if sorted(str(officer.role) for officer in officers) != sorted(str(role) for role in ROLES):
        raise SystemExit(f"expected one clerk, specialist and leader of {POLICE}, found {officers}")
    for officer in officers:
        officer.set_password(PASSWORD)
        officer.email_confirmed_at = officer.email_confirmed_at or utcnow()
    db.session.commit()
    calendar = clock.ProvinceCalendar.for_province(agency.province)
    return {
        "password": PASSWORD,
        "agency": agency.id,
        "today": clock.local_today(calendar).isoformat(),
        "officers": {str(officer.role): {"email": officer.email, "id": officer.id} for officer in officers},
    }


def explain(lists: list[dict]) -> dict:
    plans = {}
    connection = db.session.connection()
    for item in lists:
        officer = db.session.scalar(select(User).where(User.email == item["email"]))
        calendar = clock.ProvinceCalendar.for_province(officer.agency.province)
        spec = item["query"]
        query = queues.QueueQuery(
            tab=queues.Tab(spec["tab"]),
            sort=queues.Sort(spec.get("sort", "submitted")),
            procedure_id=spec.get("procedure"),
            due=queues.DueWithin(spec.get("due", "")),
            after=spec.get("after"),
        )
        statement = queues.queue_statement(officer, query, clock.local_today(calendar))
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        result = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", compiled.params)
        plans[item["name"]] = [line for (line,) in result]
    db.session.rollback()
    return plans


def main() -> None:
    app = create_app()
    with app.test_request_context():
        if sys.argv[1] == "staff":
            print(json.dumps(staff()))
        elif sys.argv[1] == "explain":
            print(json.dumps(explain(json.loads(sys.argv[2]))))
        else:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
