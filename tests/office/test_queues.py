"""The back-office lists: keyset pages list every application once and in order, filters narrow them,
overdue files are flagged, and on PostgreSQL every list's query reads an index, never the whole table."""

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from onestop.extensions import db
from onestop.office import queues
from onestop.office.queues import DueWithin, QueueQuery, Sort, Tab
from onestop.procedures import clock
from onestop.procedures.models import Application, ApplicationStep, Procedure, ProcedureVersion
from tests.office.conftest import as_staff

COUNT = 120  # in each of two states: three pages of 50, 50 and 20
_ROW = re.compile(r'<tr( class="overdue")?>\s*<td[^>]*><a href="/office/applications/(\d+)"')
_NEXT = re.compile(r'class="pagination"><a href="([^"]+)"')


def _procedure(slug: str) -> tuple[int, int]:
    procedure = db.session.scalar(select(Procedure).where(Procedure.slug == slug))
    version = db.session.scalar(select(ProcedureVersion.id).where(ProcedureVersion.procedure_id == procedure.id))
    return procedure.id, version


def _today(demo) -> date:
    return clock.local_today(clock.ProvinceCalendar.for_province(demo))


@pytest.fixture
def crowd(app, demo, staff, create_citizen):
    """120 files waiting at the police's reception and 120 being processed there, inserted in an order
    unrelated to their dates, with three files sharing each date so that the id breaks the ties; a
    quarter are for another procedure; 30 of those in progress are overdue. Plus 120 accepted files
    due later, 120 finished ones past their due date, and files of the ward."""
    citizen = create_citizen(full_name="Lê Thị Hoa")
    police, ward = staff["clerk"].agency_id, staff["ward_clerk"].agency_id
    records, other = _procedure("cap-phieu-ly-lich-tu-phap"), _procedure("dang-ky-thuong-tru")
    today = _today(demo)
    start = datetime(2026, 9, 1, 1, 30, tzinfo=UTC)
    for i in range(COUNT):
        n = (i * 37) % COUNT  # a permutation: ids do not follow the dates
        procedure, version = other if n % 4 == 0 else records
        common = {
            "procedure_id": procedure,
            "procedure_version_id": version,
            "receiving_agency_id": police,
            "applicant_id": citizen.id,
            "submitter_id": citizen.id,
        }
        db.session.add(
            Application(
                code=f"TEST-NEW-{n:04d}", state="submitted", submitted_at=start + timedelta(hours=n // 3), **common
            )
        )
        db.session.add(
            Application(
                code=f"TEST-RUN-{n:04d}",
                state="in_progress",
                submitted_at=start - timedelta(days=30, hours=(n * 7) % COUNT // 3),
                accepted_at=start - timedelta(days=29),
                due_on=today + timedelta(days=(n * 7) % 40 - 10),
                holder_id=staff["specialist"].id,
                **common,
            )
        )
        # Accepted files due later, and finished ones whose due date has passed: neither is overdue.
        for state, due_on in (
            ("received", today + timedelta(days=30 + n)),
            ("returned", today - timedelta(days=n + 1)),
        ):
            db.session.add(
                Application(
                    code=f"TEST-{state.upper()}-{n:04d}",
                    state=state,
                    submitted_at=start - timedelta(days=60, hours=n),
                    accepted_at=start - timedelta(days=59),
                    due_on=due_on,
                    **common,
                )
            )
    for n in range(5):
        db.session.add(
            Application(
                code=f"TEST-WARD-{n}",
                state="submitted",
                submitted_at=start,
                procedure_id=records[0],
                procedure_version_id=records[1],
                receiving_agency_id=ward,
                applicant_id=citizen.id,
                submitter_id=citizen.id,
            )
        )
    db.session.commit()
    rows = db.session.execute(
        select(
            Application.id,
            Application.state,
            Application.submitted_at,
            Application.due_on,
            Application.procedure_id,
            Application.receiving_agency_id,
        )
    ).all()
    return {"rows": rows, "today": today, "other_procedure": other[0], "police": police}


def _ids(crowd, state: str, sort: str, keep=lambda row: True) -> list[int]:
    """What a list must show, worked out here: the police's files in that state, sorted, ids breaking ties."""
    chosen = [row for row in crowd["rows"] if row.receiving_agency_id == crowd["police"] and row.state == state]
    chosen = [row for row in chosen if keep(row)]
    key = (lambda row: (row.due_on, row.id)) if sort == "due" else (lambda row: (row.submitted_at, row.id))
    return [row.id for row in sorted(chosen, key=key)]


def _pages(client, url: str) -> list[list[tuple[int, bool]]]:
    """Every page of a list, following its "Next page" link: (id, flagged overdue) per row."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        pages.append([(int(ident), bool(flag)) for flag, ident in _ROW.findall(body)])
        found = _NEXT.search(body)
        url = html.unescape(found.group(1)) if found else None
        assert len(pages) < 10, "the pages do not end"
    return pages


@pytest.mark.parametrize(
    ("url", "state", "sort"),
    [
        ("/office/applications?tab=new", "submitted", "submitted"),
        ("/office/applications?tab=in_progress&sort=submitted", "in_progress", "submitted"),
        ("/office/applications?tab=in_progress&sort=due", "in_progress", "due"),
    ],
)
def test_pages_list_every_application_once_in_order(app, staff, crowd, url, state, sort):
    clerk = as_staff(app, staff["clerk"])
    pages = _pages(clerk, url)
    assert [len(page) for page in pages] == [50, 50, 20]
    listed = [ident for page in pages for ident, _flag in page]
    assert listed == _ids(crowd, state, sort)


def test_filters_by_procedure_and_due_window(app, staff, crowd):
    clerk = as_staff(app, staff["clerk"])
    other, today = crowd["other_procedure"], crowd["today"]

    def listed(url):
        return [ident for page in _pages(clerk, url) for ident, _flag in page]

    expected = _ids(crowd, "submitted", "submitted", lambda row: row.procedure_id == other)
    assert len(expected) == COUNT // 4
    assert listed(f"/office/applications?tab=new&procedure={other}") == expected

    week = _ids(crowd, "in_progress", "due", lambda row: row.due_on <= today + timedelta(days=7))
    assert len(week) == 18 * 3  # due dates from 10 days ago to 7 days ahead, three files each
    assert listed("/office/applications?tab=in_progress&sort=due&due=week") == week

    by_today = _ids(crowd, "in_progress", "due", lambda row: row.due_on <= today and row.procedure_id == other)
    assert by_today and listed(f"/office/applications?tab=in_progress&sort=due&due=today&procedure={other}") == by_today


def test_overdue_files_are_flagged_in_every_list(app, staff, crowd):
    clerk = as_staff(app, staff["clerk"])
    today = crowd["today"]
    overdue = _ids(crowd, "in_progress", "due", lambda row: row.due_on < today)
    assert len(overdue) == 30

    pages = _pages(clerk, "/office/applications?tab=overdue")
    assert [(ident, True) for ident in overdue] == [row for page in pages for row in page]

    due_on = {row.id: row.due_on for row in crowd["rows"]}
    first = _pages(clerk, "/office/applications?tab=in_progress&sort=due")[0]
    assert [flag for _ident, flag in first] == [due_on[ident] < today for ident, _flag in first]
    assert sum(flag for _ident, flag in first) == 30


# Every tab, each sort and filter, and a page after the first: (officer, query).
LISTS = [
    *[("clerk", QueueQuery(tab=tab)) for tab in Tab if tab not in (Tab.MINE, Tab.CONSULTED)],
    *[("clerk", QueueQuery(tab=tab, sort=Sort.DUE)) for tab in (Tab.RECEIVED, Tab.IN_PROGRESS, Tab.APPROVED)],
    ("specialist", QueueQuery(tab=Tab.MINE)),
    ("specialist", QueueQuery(tab=Tab.MINE, sort=Sort.DUE)),
    ("leader", QueueQuery(tab=Tab.APPROVAL)),
    ("clerk", QueueQuery(tab=Tab.NEW, procedure_id=-1)),
    ("clerk", QueueQuery(tab=Tab.IN_PROGRESS, sort=Sort.DUE, due=DueWithin.WEEK)),
    ("clerk", QueueQuery(tab=Tab.NEW, after="2026-09-02T01:30:00+00:00|50")),
    ("clerk", QueueQuery(tab=Tab.IN_PROGRESS, sort=Sort.DUE, after="2026-11-20|50")),
    ("clerk", QueueQuery(tab=Tab.FINISHED, after="2026-09-02T01:30:00+00:00|50")),
]


def _application_scan(lines: list[str]) -> tuple[str, list[str]]:
    """The index the plan reads `application` with, and the Filter lines of that scan."""
    scan = next(i for i, line in enumerate(lines) if " on application " in line)
    found = re.search(r"Index (?:Only )?Scan (?:Backward )?using (\w+) on application ", lines[scan])
    depth = len(lines[scan]) - len(lines[scan].lstrip())
    details = []
    for line in lines[scan + 1 :]:
        if "->" in line or len(line) - len(line.lstrip()) <= depth:
            break
        details.append(line.strip())
    return (found.group(1) if found else ""), [line for line in details if line.startswith("Filter:")]


def test_every_list_query_reads_an_index_in_order(app, staff, crowd):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plans are PostgreSQL's")
    connection = db.session.connection()
    connection.execute(text("ANALYZE application"))
    # A table this small is cheaper to read whole, or to sort; the question here is whether an index
    # gives each list its rows in order, as it must at a million rows. PostgreSQL still plans a scan
    # or a sort that is switched off when nothing else can answer the query.
    for switch in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        connection.execute(text(f"SET LOCAL {switch} = off"))
    for role, query in LISTS:
        if query.procedure_id == -1:
            query = QueueQuery(tab=query.tab, procedure_id=crowd["other_procedure"])
        statement = queues.queue_statement(staff[role], query, crowd["today"])
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        lines = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)]
        plan = "\n".join(lines)
        assert "Sort" not in plan and "Seq Scan on application" not in plan, (query, plan)
        index, filters = _application_scan(lines)
        assert index.startswith("ix_application_"), (query, plan)
        # Every condition but the procedure bounds the index range: no row is read only to be skipped.
        assert all("procedure_id" in condition and " AND " not in condition for condition in filters), (query, plan)
    db.session.rollback()


def test_the_co_ordination_queue_reads_the_open_step_index_in_order(app, staff, crowd):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plans are PostgreSQL's")
    connection = db.session.connection()
    for switch in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        connection.execute(text(f"SET LOCAL {switch} = off"))
    for query in (QueueQuery(tab=Tab.CONSULTED), QueueQuery(tab=Tab.CONSULTED, after="2026-09-02T01:30:00+00:00|50")):
        statement = queues.queue_statement(staff["specialist"], query, crowd["today"])
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        assert "Sort" not in plan and "using ix_application_step_open on application_step" in plan, plan
    db.session.rollback()


def test_staff_find_a_file_by_code_name_or_id_number_from_any_queue(app, staff, filed):
    from onestop.procedures.models import Application
    from tests.office.conftest import as_staff

    citizen, application_id, _client = filed
    code = db.session.get(Application, application_id).code
    specialist = as_staff(app, staff["specialist"])
    for typed in (code, code.lower(), citizen.citizen_id, "Thị Mai"):
        page = specialist.get("/office/applications", query_string={"q": typed, "tab": "finished"})
        assert page.status_code == 200 and f"/office/applications/{application_id}" in page.get_data(as_text=True), (
            typed
        )
    # Another agency's officer finds nothing of it.
    ward_clerk = as_staff(app, staff["ward_clerk"])
    page = ward_clerk.get("/office/applications", query_string={"q": code}).get_data(as_text=True)
    assert f"/office/applications/{application_id}" not in page


@pytest.fixture
def consulted(app, staff, create_citizen):
    """120 files of the ward, each waiting at a co-ordination step of the police (entered in an order
    unrelated to their ids), and 600 closed co-ordination visits: more open steps than a page."""
    citizen = create_citizen(full_name="Trần Văn Bình")
    police, ward = staff["clerk"].agency_id, staff["ward_clerk"].agency_id
    procedure, version = _procedure("cap-phieu-ly-lich-tu-phap")
    start = datetime(2026, 10, 1, 1, 30, tzinfo=UTC)
    for i in range(COUNT):
        n = (i * 37) % COUNT
        application = Application(
            code=f"TEST-CONSULT-{n:04d}",
            state="in_progress",
            submitted_at=start - timedelta(days=10),
            procedure_id=procedure,
            procedure_version_id=version,
            receiving_agency_id=ward,
            applicant_id=citizen.id,
            submitter_id=citizen.id,
        )
        visit = {"step_id": "opinion", "stage": "coordination", "agency_id": police, "role": "specialist"}
        for past in range(5):
            left = start - timedelta(days=past + 1)
            application.steps.append(ApplicationStep(**visit, entered_at=left - timedelta(hours=5), left_at=left))
        application.steps.append(ApplicationStep(**visit, entered_at=start + timedelta(hours=n // 3)))
        db.session.add(application)
    db.session.commit()
    waiting = select(ApplicationStep.application_id).where(ApplicationStep.left_at.is_(None))
    return list(db.session.scalars(waiting.order_by(ApplicationStep.entered_at, ApplicationStep.id)))


def test_the_co_ordination_queue_pages_every_file_once_in_order(app, staff, consulted):
    pages = _pages(as_staff(app, staff["clerk"]), "/office/applications?tab=consulted")
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [ident for page in pages for ident, _flag in page] == consulted


def test_the_co_ordination_queue_joins_only_one_page_of_files(app, staff, consulted):
    """Whatever order the planner reads the open steps in, no join handles more than a page of them:
    with the join outside the LIMIT, PostgreSQL joined and sorted every open step of the agency when it
    underestimated how many there were (a million applications: thousands of joins for 51 rows)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plans are PostgreSQL's")
    connection = db.session.connection()
    connection.execute(text("ANALYZE application_step"))
    connection.execute(text("ANALYZE application"))
    statement = queues.queue_statement(staff["clerk"], QueueQuery(tab=Tab.CONSULTED), date(2026, 10, 1))
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN ANALYZE {compiled}", compiled.params)]
    joined = [
        int(rows) * int(loops)
        for line in plan
        if "Join" in line or "Nested Loop" in line
        for rows, loops in re.findall(r"actual time=\S+ rows=(\d+) loops=(\d+)", line)
    ]
    assert joined and max(joined) <= queues.PAGE_SIZE + 1, "\n".join(plan)
    db.session.rollback()
