"""Procedure-level indicators against the demo catalogue, reloaded by hand; November 2026 is the period.

The demo pack is loaded, then loaded again twice with the changes below; each version went live at the
moment set here (09:00 in Vietnam unless said). Every first version went live on 1 October 2026, except
the interconnected procedure's (Fri 20 November). Files are at 09:00; a paid file paid through the gateway.

- P1 criminal record MS.LLTP.01, police 000.00.02, fee 200.000: filed online Mon 2, decided and paid Fri 6.
- P2 civil status copy 2.000635, ward 000.00.30, fee 8.000: filed at the counter Tue 3. Version 2 (Thu 5)
  has no steps and a blank audience; version 3 (Wed 25) is whole again: P2 is judged on version 3.
- P3 birth registration 1.001193, ward, fee 8.000: version 2 (Tue 10) has no form and no documents. It is
  filed only at the counter now; its fee cannot be paid online; the papers part is missing.
- P4 household business 1.001612, ward, fee 100.000: filed online 20 October, decided and paid 27 October.
- P5 permanent residence 1.004222, police 001.00.30: left out of the last pack (withdrawn); a file filed
  online Wed 4 and paid Mon 9 does not count.
- P6 interconnected MS.LT.01, no fee, received by the ward of the applicant's address (police 000.00.02
  takes part): filed online Thu 12 at ward 000.00.31.

Province, November: in the catalogue P1 P2 P3 P4 P6 = 5; online P1 P2 P4 P6 = 4; used online P1 P6 = 2;
with a fee P1 P2 P3 P4 = 4; fee payable online P1 P2 P4 = 3; fee paid online P1 = 1; published P2 P3 P6 = 3;
complete P2 P6 = 2. Police 000.00.02: P1 and P6 = 2; both online; used P1 = 1 (P6's file went to ward 31);
with a fee P1 = 1, payable and paid 1; published P6 = 1, complete 1. October 2025, before anything went
live: all zero. December 2026: the same catalogue, nothing used or paid, nothing published.
"""

import csv
import dataclasses
import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from onestop.accounts.models import Role
from onestop.dashboards import procedure_figures, report
from onestop.dashboards.access import scope_for
from onestop.dashboards.aggregate import rebuild
from onestop.dashboards.periods import parse
from onestop.extensions import db
from onestop.payments.models import PaymentOrder
from onestop.procedures.models import Application, Procedure, ProcedureVersion
from onestop.provinces.models import Agency
from onestop.provinces.services import apply_pack
from tests.conftest import login

POLICE = "000.00.02.H99"
WARD = "000.00.30.H99"
WARD_31 = "000.00.31.H99"
RESIDENCE_POLICE = "001.00.30.H99"
NOVEMBER = {"period": "range", "from": "2026-11-01", "to": "2026-11-30"}
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)

PROVINCE_NOVEMBER = {
    "procedures_total": 5,
    "procedures_online": 4,
    "online_procedures_used": 2,
    "fee_procedures": 4,
    "fee_procedures_online": 3,
    "fee_procedures_paid": 1,
    "procedures_published": 3,
    "procedures_complete": 2,
}
POLICE_NOVEMBER = {
    "procedures_total": 2,
    "procedures_online": 2,
    "online_procedures_used": 1,
    "fee_procedures": 1,
    "fee_procedures_online": 1,
    "fee_procedures_paid": 1,
    "procedures_published": 1,
    "procedures_complete": 1,
}


def at(day: int, month: int = 11, hour: int = 2) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def people(create_staff, create_citizen):
    return {
        "admin": create_staff(Role.PROVINCE_ADMIN, None, "Trịnh Quốc Huy"),
        "police_leader": create_staff(Role.LEADER, POLICE, "Ngô Thanh Sơn"),
        "ward_leader": create_staff(Role.LEADER, WARD, "Phạm Thu Trang"),
        "clerk": create_staff(Role.CLERK, WARD, "Đặng Thị Lan"),
        "citizen": create_citizen(full_name="Lê Thị Hoa"),
    }


def _procedure(code: str) -> Procedure:
    return db.session.scalar(select(Procedure).where(Procedure.code == code))


def _reload(pack, live: dict[str, datetime], changed: dict, withdrawn: tuple[str, ...] = ()) -> None:
    """Load `pack` again with `changed` specs (by code) and without `withdrawn` ones; date the new versions."""
    specs = [changed.get(spec.code, spec) for spec in pack.procedures if spec.code not in withdrawn]
    apply_pack(dataclasses.replace(pack, procedures=specs))
    db.session.flush()
    for code, moment in live.items():
        procedure = _procedure(code)
        db.session.scalar(
            select(ProcedureVersion).where(
                ProcedureVersion.procedure_id == procedure.id, ProcedureVersion.number == procedure.version
            )
        ).created_at = moment


@pytest.fixture
def catalogue(demo, demo_pack, people):
    """The catalogue and files of the table above, aggregated."""
    for version in db.session.scalars(select(ProcedureVersion)):
        version.created_at = at(20) if version.procedure.code == "MS.LT.01" else at(1, month=10)
    specs = {spec.code: spec for spec in demo_pack.procedures}
    counter_only = specs["1.001193"].model_copy(update={"form": None, "documents": []})
    gaps = specs["2.000635"].model_copy(update={"steps": [], "audience": {"vi": " "}})
    _reload(demo_pack, {"2.000635": at(5), "1.001193": at(10)}, {"2.000635": gaps, "1.001193": counter_only})
    _reload(demo_pack, {"2.000635": at(25)}, {"1.001193": counter_only}, withdrawn=("1.004222",))
    p1, p2, p4 = _procedure("MS.LLTP.01"), _procedure("2.000635"), _procedure("1.001612")
    p5, p6 = _procedure("1.004222"), _procedure("MS.LT.01")
    agencies = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    citizen, clerk = people["citizen"], people["clerk"]

    def make(code, procedure, agency, filed, submitter=citizen, state="submitted", finished=None, paid=None):
        version = db.session.scalar(
            select(ProcedureVersion.id).where(ProcedureVersion.procedure_id == procedure.id).limit(1)
        )
        application = Application(
            code=code,
            procedure_id=procedure.id,
            procedure_version_id=version,
            receiving_agency_id=agencies[agency].id,
            applicant_id=citizen.id,
            submitter_id=submitter.id,
            state=state,
            created_at=filed,
            submitted_at=filed,
            updated_at=filed,
            accepted_at=filed if finished else None,
            finished_at=finished,
            result_delivery="online" if finished else None,
        )
        db.session.add(application)
        db.session.flush()
        if paid:
            db.session.add(
                PaymentOrder(
                    application_id=application.id,
                    payer_id=citizen.id,
                    amount=paid,
                    payment_moment="after_acceptance",
                    quote={},
                    state="paid",
                )
            )

    make("PF-1", p1, POLICE, at(2), state="returned", finished=at(6), paid=200_000)
    make("PF-2", p2, WARD, at(3), submitter=clerk)
    make("PF-4", p4, WARD, at(20, month=10), state="returned", finished=at(27, month=10), paid=100_000)
    make("PF-5", p5, RESIDENCE_POLICE, at(4), state="returned", finished=at(9), paid=20_000)
    make("PF-6", p6, WARD_31, at(12))
    db.session.commit()
    rebuild(demo, until=date(2026, 12, 2))
    db.session.commit()
    return demo


def _scope(user):
    return scope_for(user, None)


def test_the_province_and_an_agency_against_the_hand_worked_catalogue(catalogue, people):
    assert procedure_figures.totals(_scope(people["admin"]), FIRST, LAST) == PROVINCE_NOVEMBER
    assert procedure_figures.totals(_scope(people["police_leader"]), FIRST, LAST) == POLICE_NOVEMBER


def test_a_period_before_anything_went_live_has_nothing_and_a_quiet_month_only_the_catalogue(catalogue, people):
    scope = _scope(people["admin"])
    assert set(procedure_figures.totals(scope, date(2025, 10, 1), date(2025, 10, 31)).values()) == {0}
    december = procedure_figures.totals(scope, date(2026, 12, 1), date(2026, 12, 31))
    assert december == PROVINCE_NOVEMBER | {
        "online_procedures_used": 0,
        "fee_procedures_paid": 0,
        "procedures_published": 0,
        "procedures_complete": 0,
    }


def test_without_a_payment_gateway_no_fee_can_be_paid_online(catalogue, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "none")
    found = procedure_figures.totals(_scope(people["admin"]), FIRST, LAST)
    assert found["fee_procedures"] == 4 and found["fee_procedures_online"] == 0


def _codes(key: str, user) -> list[str]:
    item = procedure_figures.LISTS[key]
    return [one.procedure.code for one in procedure_figures.listed(item, _scope(user), FIRST, LAST)]


def test_each_list_holds_the_procedures_its_figure_counts(catalogue, people):
    admin = people["admin"]
    for key, count in PROVINCE_NOVEMBER.items():
        assert len(_codes(key, admin)) == count, key
    assert _codes("procedures_counter_only", admin) == ["1.001193"]
    assert _codes("online_procedures_unused", admin) == ["1.001612", "2.000635"]
    assert _codes("fee_procedures_not_payable_online", admin) == ["1.001193"]
    assert _codes("fee_procedures_not_paid_online", admin) == ["1.001193", "1.001612", "2.000635"]
    assert _codes("online_procedures_unused", people["police_leader"]) == ["MS.LT.01"]
    incomplete = procedure_figures.listed(procedure_figures.LISTS["procedures_incomplete"], _scope(admin), FIRST, LAST)
    assert [(one.procedure.code, one.version, one.live_on, one.missing) for one in incomplete] == [
        ("1.001193", 2, date(2026, 11, 10), ("papers",))
    ]
    # The civil status copy's second version lacked two parts; its third, the one judged, lacks none.
    versions = db.session.scalars(
        select(ProcedureVersion.missing_parts)
        .where(ProcedureVersion.procedure_id == _procedure("2.000635").id)
        .order_by(ProcedureVersion.number)
    ).all()
    assert versions == [[], ["steps", "audience"], []]


def test_the_dashboard_totals_carry_the_procedure_figures(catalogue, people):
    built = report.build(_scope(people["police_leader"]), parse(NOVEMBER, date(2026, 12, 2)), date(2026, 12, 2))
    assert {key: built.totals[key] for key in POLICE_NOVEMBER} == POLICE_NOVEMBER


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_lists_pages_and_their_exports(catalogue, app, people):
    client = app.test_client()
    login(client, people["admin"].email)
    client.get("/lang/en?next=/")
    page = client.get("/office/dashboard/files/procedures_incomplete", query_string=NOVEMBER)
    text = _text(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "1 procedures" in text and "1.001193" in text and "10/11/2026" in text and "papers to file" in text
    assert "2.000635" not in text
    unused = _text(client.get("/office/dashboard/files/online_procedures_unused", query_string=NOVEMBER).get_data(True))
    assert "2 procedures" in unused and "1.001612" in unused and "2.000635" in unused and "MS.LT.01" not in unused
    exported = client.get("/office/dashboard/files/fee_procedures_not_paid_online/export.csv", query_string=NOVEMBER)
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert exported.status_code == 200
    assert [row[0] for row in rows[1:]] == ["1.001193", "1.001612", "2.000635"]
    assert rows[1][2:] == ["At the counter only", "no", "yes", "no", "no"]
    workbook = client.get("/office/dashboard/files/procedures_published/export.xlsx", query_string=NOVEMBER)
    sheet = load_workbook(io.BytesIO(workbook.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Procedure code", "Procedure", "Version", "Live on", "Complete", "Missing parts"]
    assert [(row[0], row[2], row[4], row[5]) for row in values[1:]] == [
        ("1.001193", 2, "no", "papers to file"),
        ("2.000635", 3, "yes", None),
        ("MS.LT.01", 1, "yes", None),
    ]


def test_an_agency_sees_only_its_own_lists_and_the_public_page_links_to_none(catalogue, app, people):
    police = db.session.scalar(select(Agency.id).where(Agency.code == POLICE))
    ward = db.session.scalar(select(Agency.id).where(Agency.code == WARD))
    client = app.test_client()
    login(client, people["police_leader"].email)
    own = client.get("/office/dashboard/files/procedures_total", query_string={**NOVEMBER, "agency": police})
    assert own.status_code == 200
    assert "MS.LLTP.01" in own.get_data(as_text=True) and "2.000635" not in own.get_data(as_text=True)
    other = client.get("/office/dashboard/files/procedures_total", query_string={**NOVEMBER, "agency": ward})
    assert other.status_code == 404
    export = client.get("/office/dashboard/files/procedures_total/export.xlsx", query_string={"agency": ward})
    assert export.status_code == 404
    citizen = app.test_client()
    login(citizen, people["citizen"].email)
    assert citizen.get("/office/dashboard/files/procedures_online", query_string=NOVEMBER).status_code == 403
    public = app.test_client().get("/statistics", query_string=NOVEMBER).get_data(as_text=True)
    assert not any(f"/files/{key}" in public for key in procedure_figures.LISTS)


def test_each_procedure_is_one_probe_on_the_partial_indexes_not_a_scan_of_the_facts(catalogue, people):
    connection = db.session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        # The tables here are tiny: without this the planner would rightly read them whole.
        for switch in ("enable_seqscan", "enable_bitmapscan"):
            connection.exec_driver_sql(f"SET LOCAL {switch} = off")
    for user in ("admin", "police_leader"):
        statement = procedure_figures.catalogue_statement(_scope(people[user]), FIRST, LAST)
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        if postgresql:
            rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        else:
            values = tuple(compiled.params[name] for name in compiled.positiontup)
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
        plan = "\n".join(str(row[-1]) for row in rows)
        assert "ix_dashboard_fact_procedure_online" in plan and "ix_dashboard_fact_procedure_paid" in plan, plan
        assert "Seq Scan on dashboard_fact" not in plan and "SCAN dashboard_fact" not in plan, plan
    db.session.rollback()
