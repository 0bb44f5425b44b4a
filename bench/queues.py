"""Back-office queue benchmark: every list of the back office with 10k, 100k and 1M applications and their steps.

    .venv/bin/python bench/queues.py [--database-url URL] [--sizes 10000,100000,1000000] [--requests N]
                                     [--concurrency C] [--rounds R] [--keep] [--smoke]

It empties the PostgreSQL database named by --database-url (its name must contain "bench"; default
onestop_bench_queues on 127.0.0.1) and makes one schema per size in it (`applications_10000`...). In
each it builds the database with the real commands (`flask --app wsgi db upgrade`, `flask --app wsgi
province load provinces/demo`), gives the provincial police's clerk, specialist and leader (from
provinces/demo/staff.yaml) a password (bench/queues_setup.py), adds 5,000 citizens, then makes the
`application` table that size in the database server (`INSERT ... SELECT ... generate_series`, with the
same random seed, so that a smaller table holds the first rows of a larger one), gives every sent
application its `application_step` rows the same way, and runs VACUUM ANALYZE. It starts one gunicorn
server on the real app per size, signs the police clerk in over HTTP on each, and measures N requests to
each of these lists, round after round going through every list of every size in turn, so that a slow
spell of this shared machine hits every size alike:

- reception: `GET /office/applications?tab=new`, the first page of the files waiting for reception;
- overdue: `?tab=overdue`, running applications past their due date, soonest due first;
- in progress by due date: `?tab=in_progress&sort=due`;
- finished, page 20: `?tab=finished&after=...`, reached by following the "Next page" links;
- one procedure: `?tab=finished&procedure=ID`, a procedure that is about 3% of the police's finished files;
- counter: `?tab=counter`, files to receive and results to issue, the clerk's default tab;
- consulted: `?tab=consulted`, other agencies' files waiting for the police's opinion (a co-ordination step);
- control: `GET /healthz`, which reads no application: how noisy the machine was.

The rows: 20% of the applications belong to the provincial police (the rest to the seven others); 80% of
an agency's applications are for its own procedures, the rest for any procedure (transferred files).
Every state is present (3% drafts, 5% waiting for reception, 2% waiting for the citizen, 18% running,
72% finished); finished ones were sent over the last two years, running ones over the last 25 days with
a due date 14 to 20 days after sending, so that about a third of them are overdue. Codes are distinct.
Each sent file has one step row per visit of the default route (reception, processing, approval,
delivery) up to its state's step, closed ones with left_at and an outcome; 30% of the other agencies'
files past reception also visit a co-ordination step at the police (open for those in progress). The
target: every list's p95 at the largest size within 1.5x its p95 at the smallest. Each measured response
is checked against the database: the page must list exactly the rows a plain SQL query returns (e.g. the
50 oldest applications waiting for the clerk's agency, in order) and flag overdue rows. At the largest
size the script prints EXPLAIN (ANALYZE, BUFFERS) of the statement behind each list and of every other
tab, and the indexes they use. See docs/benchmarks.md. --smoke runs the same path in seconds (8,000 and
16,000 applications, 10 requests per list, the smallest sizes that still have a 20th page of finished
files): it proves the benchmark still runs and checks every page, but its ratios mean nothing and its
target does not decide the exit status.
"""

import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from _common import (
    ROOT,
    UNLIMITED,
    Measurement,
    Server,
    clean_up,
    csrf_token,
    header,
    report_failures,
    reset_postgres,
    run_clients,
    run_flask,
    server_env,
    start_server,
    wait_until_answering,
)
from sqlalchemy import create_engine, text

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/onestop_bench_queues"
PROVINCE_CODE = "MS"
GUNICORN_SETTINGS = ["--workers", "2", "--threads", "2"]
CLEARED_SETTINGS = ["ONESTOP_DEMO", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "RATELIMIT_STORAGE_URI"]
TARGET = 1.5
TARGET_LIST = "reception"
CONTROL = "control"
PAGE = 50
DEEP_PAGE = 20
CITIZENS = 5000
POLICE_SHARE = 0.20
OWN_PROCEDURES = 0.80
TIMEOUT = 120
RUNNING = ("received", "in_progress", "awaiting_approval", "approved")
FINISHED_TAB = ("returned", "refused")
# (state, share of the applications, age in days of the oldest)
STATES = [
    ("draft", 0.03, 30),
    ("submitted", 0.05, 10),
    ("supplement_requested", 0.02, 30),
    ("received", 0.04, 25),
    ("in_progress", 0.08, 25),
    ("awaiting_approval", 0.03, 25),
    ("approved", 0.03, 25),
    ("returned", 0.66, 730),
    ("refused", 0.03, 730),
    ("withdrawn", 0.03, 730),
]
_ROW_LINK = re.compile(r'href="/office/applications/(\d+)"')
OVERDUE_ROW = '<tr class="overdue">'
_NEXT = re.compile(r'class="pagination"><a href="([^"]+)"')


# ---------------------------------------------------------------------------------------------
# The data


@dataclass
class World:
    """What the generator and the checks need to know about the loaded province."""

    agency: int  # the provincial police
    today: str
    password: str
    officers: dict
    agencies: dict[int, str]  # id -> code
    procedures: dict[int, int]  # id -> receiving agency id
    citizens: tuple[int, int]  # first and last id


def prepare(env: dict, url: str) -> World:
    done = subprocess.run(
        [sys.executable, "-m", "bench.queues_setup", "staff"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"bench/queues_setup.py staff failed:\n{done.stdout}\n{done.stderr}")
    staff = json.loads(done.stdout.strip().splitlines()[-1])
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO user_account (full_name, citizen_id, email, role, is_active, created_at, facts,"
                " email_confirmed_at)"
                " SELECT 'Nguyễn Văn Dân ' || g, '0019' || lpad(g::text, 8, '0'), 'dan' || g || '@example.com',"
                " 'citizen', true, now(), '{}', now() FROM generate_series(1, :count) AS g"
            ),
            {"count": CITIZENS},
        )
        citizens = connection.execute(text("SELECT min(id), max(id) FROM user_account WHERE role = 'citizen'")).one()
        agencies = dict(connection.execute(text("SELECT id, code FROM agency")).all())
        procedures = dict(connection.execute(text("SELECT id, receiving_agency_id FROM procedure")).all())
    engine.dispose()
    return World(staff["agency"], staff["today"], staff["password"], staff["officers"], agencies, procedures, citizens)


def _pick(values: list, weights: list[float], draw: str) -> str:
    """A CASE expression choosing values[i] with probability weights[i], from a uniform draw in [0, 1)."""
    branches, bound = [], 0.0
    for value, weight in zip(values[:-1], weights[:-1], strict=True):
        bound += weight
        branches.append(f"WHEN {draw} < {bound:.6f} THEN {value}")
    return f"(CASE {' '.join(branches)} ELSE {values[-1]} END)"


def growth_sql(world: World) -> str:
    """INSERT ... SELECT of applications :first to :last; the whole generator is this one statement."""
    others = [a for a in world.agencies if a != world.agency]
    agencies = [world.agency, *others]
    weights = [POLICE_SHARE] + [(1 - POLICE_SHARE) / len(others)] * len(others)
    everything = ",".join(str(p) for p in world.procedures)
    own = " ".join(
        f"WHEN {a} THEN (ARRAY[{','.join(str(p) for p, owner in world.procedures.items() if owner == a)}])"
        f"[1 + floor(r_own * {sum(owner == a for owner in world.procedures.values())})::int]"
        for a in agencies
        if any(owner == a for owner in world.procedures.values())
    )
    state_names = [f"'{name}'" for name, _share, _age in STATES]
    ages = _pick([str(age) for _n, _s, age in STATES], [share for _n, share, _a in STATES], "r_state")
    codes = " ".join(f"WHEN {a} THEN '{code}'" for a, code in world.agencies.items())
    running = ",".join(f"'{s}'" for s in RUNNING)
    finished = "'returned', 'refused', 'withdrawn'"
    officers = world.officers
    return f"""
        WITH drawn AS (
            SELECT g, random() AS r_agency, random() AS r_state, random() AS r_age, random() AS r_proc,
                   random() AS r_own, random() AS r_due, random() AS r_citizen
            FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
        ), shaped AS (
            SELECT g, r_due, r_citizen,
                   {_pick([str(a) for a in agencies], weights, "r_agency")} AS agency,
                   {_pick(state_names, [share for _n, share, _a in STATES], "r_state")} AS state,
                   now() - r_age * {ages} * interval '1 day' AS at, r_proc, r_own
            FROM drawn
        ), placed AS (
            SELECT *, CASE WHEN r_proc < {OWN_PROCEDURES} THEN (CASE agency {own} END) END AS own_procedure
            FROM shaped
        ), picked AS (
            SELECT g, agency, state, at, r_due,
                   coalesce(own_procedure,
                            (ARRAY[{everything}])[1 + floor(r_own * {len(world.procedures)})::int]) AS procedure,
                   {world.citizens[0]} + floor(r_citizen * {world.citizens[1] - world.citizens[0] + 1})::int
                   AS applicant
            FROM placed
        )
        INSERT INTO application (
            code, procedure_id, procedure_version_id, receiving_agency_id, applicant_id, submitter_id, state,
            answers, completed_steps, result_delivery, created_at, updated_at, submitted_at, row_version,
            holder_id, accepted_at, due_on, proposal_note, finished_at)
        SELECT
            CASE WHEN state <> 'draft' THEN
                (CASE agency {codes} END) || '-' || to_char(at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYMMDD') || '-'
                || lpad(g::text, 7, '0') END,
            procedure, version,
            agency, applicant, applicant, state, '{{}}', '[]', 'online', at - interval '1 hour', at,
            CASE WHEN state <> 'draft' THEN at END, 1,
            CASE WHEN agency = {world.agency} AND state = 'in_progress' THEN {officers["specialist"]["id"]}
                 WHEN agency = {world.agency} AND state = 'awaiting_approval' THEN {officers["leader"]["id"]} END,
            CASE WHEN state IN ({running}, 'returned', 'refused') THEN at + interval '2 hours' END,
            CASE WHEN state IN ({running}) THEN (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 14 + floor(r_due * 7)::int
                 WHEN state IN ({finished}) THEN (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 14 END,
            '',
            CASE WHEN state IN ({finished}) THEN least(now(), at + interval '10 days') END
        FROM picked
        JOIN (SELECT procedure_id, max(id) AS version FROM procedure_version GROUP BY procedure_id) AS versions
          ON versions.procedure_id = picked.procedure
    """


# The default route's steps, in order, as (position, step id, stage, role); a file of another agency that
# consults the measured one passes the co-ordination step between processing and approval.
ROUTE = [
    (0, "reception", "reception", "clerk"),
    (1, "processing", "processing", "specialist"),
    (2, "police_opinion", "coordination", "specialist"),
    (3, "approval", "approval", "leader"),
    (4, "delivery", "delivery", "clerk"),
]
# The last step a file in each state reached, and how that step ended (None: it is still open).
LAST_STEP = {
    "submitted": (0, None),
    "supplement_requested": (0, "suspended"),
    "withdrawn": (0, "ended"),
    "received": (1, None),
    "in_progress": (1, None),  # (2, None) for the files at the co-ordination step
    "awaiting_approval": (3, None),
    "approved": (4, None),
    "refused": (3, "ended"),
    "returned": (4, "done"),
}
# Of the other agencies' files past reception, the share whose route asks the measured agency's opinion:
# their files in progress wait at that step (2.4% of their files, as 30% of the 8% in progress), the
# later ones passed it.
CONSULTING = 0.30
CONSULTING_DAYS = 5  # the co-ordination step's own budget


def steps_sql(world: World) -> str:
    """INSERT ... SELECT of the step rows of the applications with id > :after_id, one row per visit.

    Entering times split each file's time from acceptance to its end (or now) in fifths: processing,
    co-ordination, approval, delivery; closed steps left when the next one was entered.
    """
    route = ", ".join(f"({n}, '{step}', '{stage}', '{role}')" for n, step, stage, role in ROUTE)
    last = " ".join(f"WHEN '{state}' THEN {n}" for state, (n, _end) in LAST_STEP.items())
    ending = " ".join(f"WHEN '{state}' THEN '{end}'" for state, (_n, end) in LAST_STEP.items() if end)
    past = "'in_progress', 'awaiting_approval', 'approved', 'refused', 'returned'"
    return f"""
        WITH files AS (
            SELECT id, state, receiving_agency_id, holder_id, submitted_at, finished_at,
                   coalesce(accepted_at, submitted_at + interval '2 hours') AS accepted,
                   coalesce(finished_at, now()) - coalesce(accepted_at, submitted_at + interval '2 hours') AS span,
                   receiving_agency_id <> {world.agency} AND state IN ({past})
                   AND abs(hashint4(id)) % 1000 < {round(CONSULTING * 1000)} AS consults,
                   (CASE state {last} END) AS last, (CASE state {ending} END) AS ending
            FROM application
            WHERE id > :after_id AND state <> 'draft'
        ), reached AS (
            SELECT files.*, CASE WHEN consults AND state = 'in_progress' THEN 2 ELSE last END AS final
            FROM files
        ), visits AS (
            SELECT reached.*, route.*,
                   CASE route.n WHEN 0 THEN submitted_at WHEN 1 THEN accepted
                        WHEN 2 THEN accepted + span * 0.4 WHEN 3 THEN accepted + span * 0.6
                        ELSE accepted + span * 0.8 END AS entered
            FROM reached
            JOIN (VALUES {route}) AS route (n, step, stage, role)
              ON route.n <= reached.final AND (route.n <> 2 OR reached.consults)
        )
        INSERT INTO application_step (
            application_id, step_id, stage, group_index, agency_id, role, holder_id, entered_at, budget_days,
            due_at, left_at, outcome, note)
        SELECT
            id, step, stage, n,
            CASE WHEN stage = 'coordination' THEN {world.agency} ELSE receiving_agency_id END,
            role,
            CASE WHEN stage = 'processing' AND n = final AND ending IS NULL THEN holder_id END,
            entered,
            CASE WHEN stage = 'coordination' THEN {CONSULTING_DAYS} END,
            CASE WHEN stage = 'coordination' THEN entered + interval '{CONSULTING_DAYS} days' END,
            CASE WHEN n < final THEN
                     CASE n WHEN 0 THEN accepted
                            WHEN 1 THEN accepted + span * (CASE WHEN consults THEN 0.4 ELSE 0.6 END)
                            WHEN 2 THEN accepted + span * 0.6 ELSE accepted + span * 0.8 END
                 WHEN ending = 'suspended' THEN accepted
                 WHEN ending IS NOT NULL THEN coalesce(finished_at, now()) END,
            CASE WHEN n < final THEN 'done' ELSE ending END,
            ''
        FROM visits
    """


def schema_name(size: int) -> str:
    return f"applications_{size}"


def schema_url(url: str, size: int) -> str:
    """The URL of one size's schema: the app and the commands find their tables by the search path."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema_name(size)} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema_name(size)}"))
    engine.dispose()
    return parsed.update_query_dict({"options": f"-csearch_path={schema_name(size)}"}).render_as_string(
        hide_password=False
    )


def police_count(url: str, world: World) -> tuple[int, int, int]:
    """The police's applications, all step rows, and the open co-ordination steps at the police."""
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM application WHERE receiving_agency_id = :a),"
                " (SELECT count(*) FROM application_step),"
                " (SELECT count(*) FROM application_step WHERE agency_id = :a AND stage = 'coordination'"
                " AND left_at IS NULL)"
            ),
            {"a": world.agency},
        ).one()
    engine.dispose()
    return tuple(counts)


def grow(url: str, world: World, size: int) -> float:
    """Add applications up to `size` rows, then VACUUM ANALYZE; returns the seconds it took."""
    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as connection:
        current = connection.scalar(text("SELECT count(*) FROM application"))
        if current < size:
            # The same seed for every size: a smaller table holds the first rows of a larger one.
            connection.execute(text("SELECT setseed(0.42)"))
            after_id = connection.scalar(text("SELECT coalesce(max(id), 0) FROM application"))
            connection.execute(text(growth_sql(world)), {"first": current + 1, "last": size})
            connection.execute(text(steps_sql(world)), {"after_id": after_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE application"))
        connection.execute(text("VACUUM ANALYZE application_step"))
        connection.execute(text("ANALYZE user_account"))
    engine.dispose()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# The lists and what they must show


@dataclass
class QueueList:
    name: str
    path: str
    query: dict  # as bench/queues_setup.py explain takes it
    expected_sql: str  # the ids the page must list, in order, from a plain query
    flagged_overdue: bool = False  # every row of the page must carry the overdue flag
    expected: list[int] = field(default_factory=list)


def expected_ids(url: str, world: World, lists: list[QueueList]) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        for item in lists:
            if item.expected_sql:
                params = {"agency": world.agency, "today": world.today, "page": PAGE}
                item.expected = list(connection.scalars(text(item.expected_sql), params))
    engine.dispose()


def minor_procedure(world: World) -> int:
    """A procedure of another agency: it reaches the police only among the transferred files."""
    return min(p for p, owner in world.procedures.items() if owner != world.agency)


def build_lists(world: World, deep_after: str) -> list[QueueList]:
    where = "receiving_agency_id = :agency AND "
    running = ",".join(f"'{s}'" for s in RUNNING)
    finished = ",".join(f"'{s}'" for s in FINISHED_TAB)
    counter = "'submitted', 'approved'"
    procedure = minor_procedure(world)
    return [
        QueueList(
            TARGET_LIST,
            "/office/applications?tab=new",
            {"tab": "new"},
            f"SELECT id FROM application WHERE {where} state = 'submitted' ORDER BY submitted_at, id LIMIT :page",
        ),
        QueueList(
            "overdue",
            "/office/applications?tab=overdue",
            {"tab": "overdue"},
            f"SELECT id FROM application WHERE {where} state IN ({running}) AND due_on < CAST(:today AS date)"
            " ORDER BY due_on, id LIMIT :page",
            flagged_overdue=True,
        ),
        QueueList(
            "in progress by due date",
            "/office/applications?tab=in_progress&sort=due",
            {"tab": "in_progress", "sort": "due"},
            f"SELECT id FROM application WHERE {where} state = 'in_progress' AND due_on IS NOT NULL"
            " ORDER BY due_on, id LIMIT :page",
        ),
        QueueList(
            f"finished, page {DEEP_PAGE}",
            f"/office/applications?tab=finished&after={requests.utils.quote(deep_after)}",
            {"tab": "finished", "after": deep_after},
            f"SELECT id FROM application WHERE {where} state IN ({finished}) ORDER BY submitted_at, id"
            f" OFFSET {(DEEP_PAGE - 1) * PAGE} LIMIT :page",
        ),
        QueueList(
            "one procedure (finished)",
            f"/office/applications?tab=finished&procedure={procedure}",
            {"tab": "finished", "procedure": procedure},
            f"SELECT id FROM application WHERE {where} state IN ({finished}) AND procedure_id = {procedure}"
            " ORDER BY submitted_at, id LIMIT :page",
        ),
        QueueList(
            "counter (clerk's default)",
            "/office/applications?tab=counter",
            {"tab": "counter"},
            f"SELECT id FROM application WHERE {where} state IN ({counter}) ORDER BY updated_at, id LIMIT :page",
        ),
        QueueList(
            "consulted (co-ordination)",
            "/office/applications?tab=consulted",
            {"tab": "consulted"},
            "SELECT application_id FROM application_step WHERE agency_id = :agency AND stage = 'coordination'"
            " AND left_at IS NULL ORDER BY entered_at, id LIMIT :page",
        ),
        QueueList(f"{CONTROL}: /healthz", "/healthz", {}, ""),
    ]


# Tabs not measured over HTTP, whose plans are printed too: (name, officer's role, query)
OTHER_TABS = [
    ("mine (specialist)", "specialist", {"tab": "mine"}),
    ("mine by due date (specialist)", "specialist", {"tab": "mine", "sort": "due"}),
    ("accepted", "clerk", {"tab": "received"}),
    ("awaiting approval (leader)", "leader", {"tab": "approval"}),
    ("approved", "clerk", {"tab": "approved"}),
    ("waiting for the citizen", "clerk", {"tab": "citizen"}),
    ("in progress, due within 7 days", "clerk", {"tab": "in_progress", "due": "week"}),
    ("finished", "clerk", {"tab": "finished"}),
]


def check_page(item: QueueList, body: str) -> str | None:
    if not item.expected_sql:
        return None
    ids = [int(i) for i in _ROW_LINK.findall(body)]
    if ids != item.expected:
        return f"{item.name}: listed {ids[:4]}... ({len(ids)}), not {item.expected[:4]}... ({len(item.expected)})"
    flagged = body.count(OVERDUE_ROW)
    if item.flagged_overdue and flagged != len(ids):
        return f"{item.name}: {flagged} of {len(ids)} rows flagged overdue"
    return None


# ---------------------------------------------------------------------------------------------
# HTTP


def sign_in(base: str, email: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/account/login", timeout=TIMEOUT)
    form = {"csrf_token": csrf_token(page.text), "login": email, "password": password}
    signed = session.post(f"{base}/account/login", data=form, allow_redirects=False, timeout=TIMEOUT)
    if signed.status_code != 302:
        raise RuntimeError(f"the sign-in of {email} answered {signed.status_code}")
    return session


def follow_pages(session: requests.Session, base: str, path: str, pages: int) -> str:
    """The cursor of page `pages`, reached by following the "Next page" links as an officer would."""
    url = base + path
    for _page in range(pages - 1):
        response = session.get(url, timeout=TIMEOUT)
        found = _NEXT.search(response.text)
        if response.status_code != 200 or not found:
            raise RuntimeError(f"no next page on {url} (HTTP {response.status_code})")
        url = base + html.unescape(found.group(1))
    return requests.utils.unquote(url.split("after=", 1)[1].split("&", 1)[0])


def hammer(base: str, cookies, item: QueueList, count: int, concurrency: int) -> Measurement:
    measurement = Measurement(item.name)
    lock = threading.Lock()
    remaining = iter(range(count))

    def client() -> None:
        with requests.Session() as session:
            session.cookies.update(cookies)
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                started = time.perf_counter()
                try:
                    response = session.get(base + item.path, timeout=TIMEOUT, allow_redirects=False)
                    elapsed = time.perf_counter() - started
                    problem = (
                        f"{item.name}: HTTP {response.status_code}"
                        if response.status_code != 200
                        else check_page(item, response.text)
                    )
                except requests.RequestException as error:
                    elapsed, problem = time.perf_counter() - started, f"{item.name}: {error}"
                with lock:
                    measurement.latencies.append(elapsed)
                    if problem:
                        measurement.failures.append(problem)

    measurement.seconds = run_clients(client, concurrency)
    return measurement


@dataclass
class Target:
    """One size: its schema, its server, the clerk's cookies there and its lists."""

    size: int
    url: str
    env: dict
    world: World
    server: Server | None = None
    cookies: object = None
    lists: list[QueueList] = field(default_factory=list)
    police: tuple[int, int, int] = (0, 0, 0)  # the police's applications, step rows, open co-ordinations


def measure(targets: list[Target], args) -> dict[int, dict[str, Measurement]]:
    """Round after round, every list of every size in turn: a slow spell of the machine hits all alike."""
    for target in targets:
        base = f"http://127.0.0.1:{target.server.port}"
        for item in target.lists:
            hammer(base, target.cookies, item, 5 * args.concurrency, args.concurrency)  # warm-up
    totals = {t.size: {item.name: Measurement(item.name) for item in t.lists} for t in targets}
    per_round = -(-args.requests // args.rounds)
    for _turn in range(args.rounds):
        for position in range(len(targets[0].lists)):
            for target in targets:
                item = target.lists[position]
                part = hammer(
                    f"http://127.0.0.1:{target.server.port}", target.cookies, item, per_round, args.concurrency
                )
                total = totals[target.size][item.name]
                total.latencies.extend(part.latencies)
                total.failures.extend(part.failures)
                total.seconds += part.seconds
    return totals


# ---------------------------------------------------------------------------------------------
# Plans


def explain(env: dict, world: World, lists: list[QueueList]) -> dict[str, list[str]]:
    wanted = [{"name": i.name, "email": world.officers["clerk"]["email"], "query": i.query} for i in lists if i.query]
    wanted += [{"name": n, "email": world.officers[role]["email"], "query": q} for n, role, q in OTHER_TABS]
    done = subprocess.run(
        [sys.executable, "-m", "bench.queues_setup", "explain", json.dumps(wanted)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"bench/queues_setup.py explain failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


_INDEX = re.compile(
    r"Index (?:Only )?Scan (?:Backward )?using (\w+) on application|Bitmap Index Scan on (ix_application\w*)"
)
_READ = re.compile(r"on application .*actual time=\S+ rows=(\d+)")
# A small table may be cheaper to read through another index and sort; what must not happen is a sort
# of a list's whole content, which grows with the table.
SORT_LIMIT = 20 * PAGE


def plan_indexes(plan: str) -> list[str]:
    return sorted({first or second for first, second in _INDEX.findall(plan)})


def plan_problems(name: str, lines: list[str]) -> list[str]:
    plan = "\n".join(lines)
    problems = []
    if "Seq Scan on application" in plan:
        problems.append(f"{name}: a sequential scan of application")
    if not plan_indexes(plan):
        problems.append(f"{name}: no index scan of application")
    read = max((int(rows) for rows in _READ.findall(plan)), default=0)
    if re.search(r"\bSort\b", plan) and read > SORT_LIMIT:
        problems.append(f"{name}: a sort of {read} rows, where an index should give the order")
    return problems


def report_plans(plans: dict[str, list[str]], lines: int) -> list[str]:
    print("\nPlans at the largest size: EXPLAIN (ANALYZE, BUFFERS) of the statement behind each list")
    problems = []
    for name, plan in plans.items():
        indexes = plan_indexes("\n".join(plan))
        timing = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
        print(f"\n-- {name}: {', '.join(indexes) or 'NO INDEX'}; {timing}")
        for line in plan[:lines]:
            print(f"   {line}")
        problems += plan_problems(name, plan)
    return problems


# ---------------------------------------------------------------------------------------------
# Report


def report(results: dict[int, dict[str, Measurement]], counts: dict[int, tuple[int, int, int]]) -> bool:
    sizes = sorted(results)
    names = list(results[sizes[0]])
    print()
    print("Latency in ms per list and size (rows: all applications; the police hold about 20%)")
    head = f"{'list':<30}" + "".join(f"{f'{size:,} p50':>14}{'p95':>8}" for size in sizes)
    print(head + f"{'p95 ratio':>11}")
    missed = []
    for name in names:
        cells = "".join(
            f"{results[size][name].percentile(0.5):>14.1f}{results[size][name].percentile(0.95):>8.1f}"
            for size in sizes
        )
        ratio = results[sizes[-1]][name].percentile(0.95) / results[sizes[0]][name].percentile(0.95)
        print(f"{name:<30}{cells}{ratio:>10.2f}x")
        if not name.startswith(CONTROL) and ratio > TARGET:
            missed.append(name)
    for size in sizes:
        police, steps, consulted = counts[size]
        print(
            f"  {size:,} applications, {police:,} of them at the police; {steps:,} step rows,"
            f" {consulted:,} open co-ordination steps at the police"
        )
    print()
    first, last = sizes[0], sizes[-1]
    verdict = f"NOT MET by {', '.join(missed)}" if missed else "MET"
    print(f"TARGET every list's p95 at {last:,} <= {TARGET:g}x its p95 at {first:,}: {verdict}")
    return not missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to empty and use")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="application counts, in growing order")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per list and size (300)")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="turns the lists are measured in (default 5)")
    parser.add_argument("--plan-lines", type=int, default=12, help="lines of each plan to print (default 12)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check in seconds that the benchmark runs")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.requests, args.rounds = "8000,16000", 10, 1
    sizes = [int(size) for size in args.sizes.split(",")]
    if sizes != sorted(sizes):
        sys.exit("--sizes must grow: the table is only ever added to.")

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-queues-"))
    targets: list[Target] = []
    try:
        base_env = server_env(
            folder, CLEARED_SETTINGS, PROVINCE=PROVINCE_CODE, LOGIN_RATE_LIMIT=UNLIMITED, ACCOUNT_RATE_LIMIT=UNLIMITED
        )
        (folder / "var").mkdir()
        print(header())
        reset_postgres(args.database_url)
        print(f"Database: {args.database_url.split('@')[-1]}, one schema per size")
        for size in sizes:
            url = schema_url(args.database_url, size)
            env = {**base_env, "DATABASE_URL": url}
            print(f"\nSchema {schema_name(size)}:")
            run_flask(env, "db", "upgrade")
            run_flask(env, "province", "load", "provinces/demo")
            target = Target(size, url, env, prepare(env, url))
            seconds = grow(url, target.world, size)
            target.police = police_count(url, target.world)
            police, steps, consulted = target.police
            print(
                f"  {size:,} applications ({police:,} at the police), {steps:,} step rows ({consulted:,} open"
                f" co-ordination steps at the police), generated and analysed in {seconds:.1f} s"
            )
            targets.append(target)
        world = targets[0].world
        clerk = world.officers["clerk"]["email"]
        print(
            f"\nPolice clerk {clerk}, agency id {world.agency}, today {world.today}; {CITIZENS:,} citizens per schema"
        )
        for target in targets:
            target.server = start_server(f"onestop-{target.size}", "wsgi:app", target.env, folder, GUNICORN_SETTINGS)
        for target in targets:
            wait_until_answering(target.server, "/healthz")
            base = f"http://127.0.0.1:{target.server.port}"
            session = sign_in(base, clerk, target.world.password)
            target.cookies = session.cookies
            deep_after = follow_pages(session, base, "/office/applications?tab=finished", DEEP_PAGE)
            target.lists = build_lists(target.world, deep_after)
            expected_ids(target.url, target.world, target.lists)
        print(
            f"{len(targets)} gunicorn servers {' '.join(GUNICORN_SETTINGS)} wsgi:app, one per size; client: "
            f"{args.concurrency} threads; {args.requests} requests per list and size after warm-up, in "
            f"{args.rounds} rounds, each round going through every list of every size in turn"
        )
        started = time.perf_counter()
        results = measure(targets, args)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"Measured in {time.perf_counter() - started:.1f} s; load average {load}")
        failures = [
            f"{size:,}: {failure}" for size, lists in results.items() for m in lists.values() for failure in m.failures
        ]
        met = report(results, {t.size: t.police for t in targets})
        largest = targets[-1]
        failures += report_plans(explain(largest.env, largest.world, largest.lists), args.plan_lines)
        if failures:
            report_failures(failures, largest.server)
            return 1
        print("\nEvery page listed exactly the rows of the plain SQL query, in order; every list used an index.")
        return 0 if met or args.smoke else 2
    finally:
        clean_up([t.server for t in targets if t.server], folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
