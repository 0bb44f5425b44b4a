"""Helper of bench/dashboard.py, run with the app: sign-ins, and one nightly aggregation timed.

    python -m bench.dashboard_setup staff        the police leader's and the province admin's sign-in
    python -m bench.dashboard_setup aggregate    aggregate yesterday as the nightly job does; prints the time

Each prints one JSON object on its last line.
"""

import json
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from onestop import create_app, localtime
from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.models import utcnow
from onestop.provinces.models import Agency
from onestop.provinces.services import served_province

POLICE = "000.00.02.H99"
PASSWORD = "bench dashboard 42"


def staff() -> dict:
    agency = db.session.scalar(select(Agency).where(Agency.code == POLICE))
    leader = db.session.scalar(select(User).where(User.agency_id == agency.id, User.role == Role.LEADER))
    admin = db.session.scalar(select(User).where(User.role == Role.PROVINCE_ADMIN))
    for user in (leader, admin):
        user.set_password(PASSWORD)
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db.session.commit()
    return {"password": PASSWORD, "agency": agency.id, "leader": leader.email, "admin": admin.email}


def aggregate() -> dict:
    from onestop.dashboards.aggregate import aggregate_day

    province = served_province()
    day = localtime.today(province) - timedelta(days=1)
    started = time.perf_counter()
    report = aggregate_day(province, day)
    db.session.commit()
    return {"day": day.isoformat(), "files": report.facts, "seconds": time.perf_counter() - started}


def main() -> None:
    app = create_app()
    with app.test_request_context():
        if sys.argv[1] == "staff":
            print(json.dumps(staff()))
        elif sys.argv[1] == "aggregate":
            print(json.dumps(aggregate()))
        else:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
