"""Survey results benchmark: the results page of a survey with 100k responses, as a ratio to the catalogue.

    .venv/bin/python bench/surveys.py [--database-url URL] [--responses N] [--requests N] [--concurrency C]
                                      [--rounds R] [--port P] [--keep] [--smoke]

It empties the PostgreSQL database named by --database-url (its name must contain "bench"; default
onestop_bench_surveys on 127.0.0.1), builds it with the real commands (`flask --app wsgi db upgrade`,
`flask --app wsgi province load provinces/demo`), gives the provincial police's clerk a password
(bench/queues_setup.py), builds and publishes a seven-question survey as that clerk through the real
services (bench/surveys_setup.py), then fills it in the database server (`INSERT ... SELECT ...
generate_series`, seeded) with N submitted responses spread over the last year and their answers: a
single choice with "other", a rating, yes/no, a multiple choice (each option ticked by 40%), a grid of
four rows, a long text (30% write one) and a number, about ten answer rows per response; then the
running counts each submit adds to (survey_tally, survey_tally_month, survey_day), in one pass. VACUUM ANALYZE.

One gunicorn server then serves the real app; the clerk signs in over HTTP, and the same client measures,
round after round in turn so that a slow spell of this shared machine hits all alike:

- catalogue: `GET /procedures` signed in as the clerk (a fresh page, as every signed-in page is);
- results: `GET /office/surveys/<id>/results`, every question counted, charts drawn, free text listed;
- results, last 3 months: the same with `?from=` three months back (a range scan of each question);
- control: `GET /healthz`, which reads almost nothing: how noisy the machine was.

Each results page is checked: it must state the number of responses a plain SQL count gives. The target:
the results page's p95 within 2x the catalogue's p95. --smoke runs the same path in seconds (2,000
responses, 10 requests per page): it proves the benchmark runs and checks the pages; its ratio means
nothing and does not decide the exit status. See docs/benchmarks.md.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import requests
from _common import (
    ROOT,
    UNLIMITED,
    Measurement,
    clean_up,
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

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/onestop_bench_surveys"
CLEARED_SETTINGS = ["ONESTOP_DEMO", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "RATELIMIT_STORAGE_URI"]
GUNICORN_SETTINGS = ["--workers", "2", "--threads", "1"]
TARGET_RATIO = 2.0
TIMEOUT = 120
SEED = 0.16


def _helper(env: dict, module: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{module} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fill(url: str, survey: dict, responses: int) -> float:
    """N submitted responses and their answers, made by the database server itself."""
    q = survey["questions"]
    started = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    answer = "INSERT INTO survey_answer (response_id, question_id, row_key, choice, number, text, submitted_at) "
    of_responses = " FROM survey_response r WHERE r.version_id = :version"
    statements = [
        "SELECT setseed(:seed)",
        "INSERT INTO survey_response (survey_id, version_id, device_key, submit_token, started_at, submitted_at)"
        " SELECT :survey, :version, 'bench-' || g, md5(g::text), s - interval '5 minutes', s"
        " FROM (SELECT g, now() - random() * interval '365 days' AS s FROM generate_series(1, :n) AS g) AS t",
        answer + "SELECT r.id, :q1, '', (ARRAY['o1','o2','o3','o4','other'])[1 + floor(random() * 5)::int], NULL,"
        " NULL, r.submitted_at" + of_responses,
        "UPDATE survey_answer SET text = 'Nộp qua người quen' WHERE question_id = :q1 AND choice = 'other'",
        answer + "SELECT r.id, :q2, '', c::text, c, NULL, r.submitted_at"
        " FROM (SELECT r.id, r.submitted_at, 1 + floor(random() * 5)::int AS c" + of_responses + ") AS r",
        answer
        + "SELECT r.id, :q3, '', CASE WHEN random() < 0.8 THEN 'yes' ELSE 'no' END, NULL, NULL, r.submitted_at"
        + of_responses,
        answer + "SELECT r.id, :q4, '', 'o' || o, NULL, NULL, r.submitted_at"
        " FROM survey_response r CROSS JOIN generate_series(1, 5) AS o"
        " WHERE r.version_id = :version AND random() < 0.4",
        answer + "SELECT r.id, :q5, 'o' || k, c::text, c, NULL, r.submitted_at FROM ("
        " SELECT r.id, r.submitted_at, k, 1 + floor(random() * 5)::int AS c"
        " FROM survey_response r CROSS JOIN generate_series(1, 4) AS k WHERE r.version_id = :version) AS r",
        answer + "SELECT r.id, :q6, '', NULL, NULL,"
        " (ARRAY['Cán bộ nhiệt tình', 'Phải chờ lâu', 'Trang web chậm', 'Hướng dẫn rõ ràng'])"
        "[1 + floor(random() * 4)::int] || ' ' || r.id, r.submitted_at" + of_responses + " AND random() < 0.3",
        answer + "SELECT r.id, :q7, '', NULL, 1 + floor(random() * 6), NULL, r.submitted_at" + of_responses,
        "UPDATE survey SET response_count = :n WHERE id = :survey",
        # The running counts each submit adds to (onestop/surveys/tally.py), built here in one pass.
        "INSERT INTO survey_day (version_id, day, responses) SELECT :version,"
        " (submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS d, count(*) FROM survey_response"
        " WHERE version_id = :version GROUP BY d",
        "INSERT INTO survey_tally (question_id, day, row_key, choice, count, respondents, total, low, high)"
        " SELECT question_id, d, row_key, coalesce(choice, ''), count(*), sum(first), sum(number), min(number),"
        " max(number) FROM (SELECT a.*, (a.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS d,"
        " CASE WHEN a.id = min(a.id) OVER (PARTITION BY a.response_id, a.question_id) THEN 1 ELSE 0 END AS first"
        " FROM survey_answer a JOIN survey_response r ON r.id = a.response_id WHERE r.version_id = :version) AS t"
        " GROUP BY question_id, d, row_key, coalesce(choice, '')",
        "INSERT INTO survey_tally_month (question_id, month, row_key, choice, count, respondents, total, low, high)"
        " SELECT question_id, CAST(date_trunc('month', CAST(day AS timestamp)) AS date) AS m, row_key, choice,"
        " sum(count), sum(respondents), sum(total), min(low), max(high) FROM survey_tally"
        " GROUP BY question_id, m, row_key, choice",
    ]
    values = {"seed": SEED, "survey": survey["id"], "version": survey["version"], "n": responses}
    values.update(q)
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement), values)
        connection.execute(text("VACUUM ANALYZE survey_response"))
        connection.execute(text("VACUUM ANALYZE survey_answer"))
        connection.execute(text("VACUUM ANALYZE survey_tally"))
        connection.execute(text("VACUUM ANALYZE survey_tally_month"))
    engine.dispose()
    return time.perf_counter() - started


def answer_rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(text("SELECT count(*) FROM survey_answer"))
    engine.dispose()
    return count


def expected_total(url: str, survey: dict, since: date | None) -> int:
    engine = create_engine(url)
    query = "SELECT count(*) FROM survey_response WHERE version_id = :v AND submitted_at IS NOT NULL"
    if since:
        query += " AND submitted_at >= (CAST(:since AS date)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')"
    with engine.connect() as connection:
        count = connection.scalar(text(query), {"v": survey["version"], "since": since})
    engine.dispose()
    return count


def sign_in(base: str, email: str, password: str) -> requests.Session:
    from _common import csrf_token

    session = requests.Session()
    page = session.get(f"{base}/account/login", timeout=TIMEOUT)
    form = {"csrf_token": csrf_token(page.text), "login": email, "password": password}
    signed = session.post(f"{base}/account/login", data=form, allow_redirects=False, timeout=TIMEOUT)
    if signed.status_code != 302:
        raise RuntimeError(f"the sign-in of {email} answered {signed.status_code}")
    return session


def hammer(base: str, cookies, name: str, path: str, expect: str | None, count: int, concurrency: int) -> Measurement:
    measurement = Measurement(name)
    lock = threading.Lock()
    remaining = iter(range(count))

    def client() -> None:
        with requests.Session() as session:
            session.cookies.update(cookies)
            session.cookies.set("lang", "en")
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                started = time.perf_counter()
                try:
                    response = session.get(base + path, timeout=TIMEOUT, allow_redirects=False)
                    elapsed = time.perf_counter() - started
                    problem = None
                    if response.status_code != 200:
                        problem = f"{name}: HTTP {response.status_code}"
                    elif expect and expect not in response.text:
                        problem = f"{name}: the page does not say {expect!r}"
                except requests.RequestException as error:
                    elapsed, problem = time.perf_counter() - started, f"{name}: {error}"
                with lock:
                    measurement.latencies.append(elapsed)
                    if problem:
                        measurement.failures.append(problem)

    measurement.seconds = run_clients(client, concurrency)
    return measurement


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to empty and use")
    parser.add_argument("--responses", type=int, default=100_000, help="submitted responses (100,000)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page (200)")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="turns the pages are measured in (default 5)")
    parser.add_argument("--port", type=int, default=None, help="the server's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check in seconds that the benchmark runs")
    args = parser.parse_args()
    if args.smoke:
        args.responses, args.requests, args.rounds = 2000, 10, 1

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-surveys-"))
    server = None
    try:
        env = server_env(
            folder,
            CLEARED_SETTINGS,
            PROVINCE="MS",
            LOGIN_RATE_LIMIT=UNLIMITED,
            ACCOUNT_RATE_LIMIT=UNLIMITED,
            DATABASE_URL=args.database_url,
        )
        (folder / "var").mkdir()
        print(header())
        reset_postgres(args.database_url)
        print(f"Database: {args.database_url.split('@')[-1]}")
        run_flask(env, "db", "upgrade")
        run_flask(env, "province", "load", "provinces/demo")
        staff = _helper(env, "bench.queues_setup", "staff")
        clerk = staff["officers"]["clerk"]["email"]
        survey = _helper(env, "bench.surveys_setup", "survey", clerk)
        seconds = fill(args.database_url, survey, args.responses)
        print(
            f"  survey {survey['id']} ({len(survey['questions'])} questions): {args.responses:,} responses, "
            f"{answer_rows(args.database_url):,} answer rows, generated and analysed in {seconds:.1f} s"
        )
        since = date.today() - timedelta(days=91)
        pages = [
            ("catalogue GET /procedures", "/procedures", None),
            ("results", f"/office/surveys/{survey['id']}/results", None),
            ("results, last 3 months", f"/office/surveys/{survey['id']}/results?from={since.isoformat()}", None),
            ("control GET /healthz", "/healthz", None),
        ]
        expected = {
            pages[1][0]: expected_total(args.database_url, survey, None),
            pages[2][0]: expected_total(args.database_url, survey, since),
        }
        pages = [(name, path, f"{expected[name]} responses" if name in expected else None) for name, path, _ in pages]
        server = start_server("onestop", "wsgi:app", env, folder, GUNICORN_SETTINGS, args.port)
        wait_until_answering(server, "/healthz")
        base = f"http://127.0.0.1:{server.port}"
        cookies = sign_in(base, clerk, staff["password"]).cookies
        print(
            f"gunicorn {' '.join(GUNICORN_SETTINGS)} wsgi:app; client: {args.concurrency} threads; {args.requests} "
            f"requests per page after warm-up, in {args.rounds} rounds, each going through every page in turn"
        )
        for name, path, expect in pages:
            hammer(base, cookies, name, path, expect, 3 * args.concurrency, args.concurrency)  # warm-up
        totals = {name: Measurement(name) for name, _p, _e in pages}
        per_round = -(-args.requests // args.rounds)
        for _turn in range(args.rounds):
            for name, path, expect in pages:
                part = hammer(base, cookies, name, path, expect, per_round, args.concurrency)
                totals[name].latencies += part.latencies
                totals[name].failures += part.failures
                totals[name].seconds += part.seconds
        print(f"\n{'page':<28}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'req/s':>10}")
        for name, measurement in totals.items():
            print(
                f"{name:<28}{measurement.percentile(0.5):>10.1f}{measurement.percentile(0.95):>10.1f}"
                f"{measurement.percentile(0.99):>10.1f}{measurement.throughput:>10.1f}"
            )
        catalogue = totals[pages[0][0]].percentile(0.95)
        met = True
        for name in (pages[1][0], pages[2][0]):
            ratio = totals[name].percentile(0.95) / catalogue
            met = met and ratio <= TARGET_RATIO
            print(f"p95 {name} / catalogue: {ratio:.2f}x (target <= {TARGET_RATIO:.1f}x)")
        failures = [failure for m in totals.values() for failure in m.failures]
        if failures:
            report_failures(failures, server)
            return 1
        print("\nEvery results page stated the response count of the plain SQL count.")
        return 0 if met or args.smoke else 2
    finally:
        clean_up([server] if server else [], folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
