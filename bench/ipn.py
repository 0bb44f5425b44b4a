"""IPN benchmark: concurrent duplicate payment notifications on PostgreSQL, against a bare one-UPDATE endpoint.

    .venv/bin/python bench/ipn.py [--database-url URL] [--orders N] [--duplicates D] [--concurrency C]
                                  [--rounds R] [--keep]

It empties the PostgreSQL database named by --database-url (its name must contain "bench"; default
onestop_bench_ipn on 127.0.0.1), builds it with the real commands (`flask --app wsgi db upgrade`,
`flask --app wsgi province load provinces/demo`), makes R × N applications whose fee is due, each with
a payment begun as the "Pay now" button begins it (bench/ipn_setup.py), and starts two gunicorn
servers with the same settings and environment: the real app, and the `GET /ipn` route of
bench/bare_app.py, which does one indexed conditional UPDATE (pending → paid) and nothing else.

Each round sends D identical, validly signed success notifications for each of N orders (1,000
callbacks over 100 orders by default), shuffled, from C client threads at once, each with its own
keep-alive requests.Session, to `GET /payments/vnpay/ipn` of the real app, and the same number to the
bare endpoint; the servers take turns round by round. The real endpoint verifies the HMAC-SHA512
signature, finds the attempt, checks the amount, moves it with a conditional UPDATE, writes the
ledger credit, the order's state, the events, the outbox message and the IPN log, and hands the
receipt and the e-mail to Celery (the embedded SQLite broker; no worker runs).

Correctness is checked, not assumed: per order, exactly one answer 00 and D − 1 answers 02 from each
server; in the database, exactly one ledger credit per order (zero double credits), every order paid,
one IPN row per callback. The figures are only meaningful as ratios. See docs/benchmarks.md.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests
from _common import (
    ROOT,
    Measurement,
    Server,
    clean_up,
    header,
    report_failures,
    reset_postgres,
    run_flask,
    start_server,
    wait_until_answering,
)

sys.path.insert(0, str(ROOT))
from onestop.payments import vnpay

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/onestop_bench_ipn"
PROVINCE_CODE = "MS"
GUNICORN_SETTINGS = ["--workers", "2", "--threads", "4"]
TMN_CODE = "BENCHIPN"
SECRET = "BENCHIPNSECRETNOTFORPRODUCTION00"
CLEARED_SETTINGS = [
    "ONESTOP_DEMO",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "RATELIMIT_STORAGE_URI",
    "PAYMENT_PROVIDER",
    "VNPAY_PAY_URL",
    "VNPAY_API_URL",
]
WARMUP_ORDERS = 20
TIMEOUT = 120


def prepare_payments(env: dict, count: int) -> list[dict[str, str]]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.ipn_setup", str(count)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"bench/ipn_setup.py failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def notification(request: dict[str, str], number: int) -> str:
    """The signed query of a successful payment's IPN, field for field as the mock gateway sends it."""
    result = {
        "vnp_Amount": request["vnp_Amount"],
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": f"VNP{number}",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": request["vnp_OrderInfo"],
        "vnp_PayDate": request["vnp_CreateDate"],
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": request["vnp_TmnCode"],
        "vnp_TransactionNo": str(number),
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": request["vnp_TxnRef"],
    }
    return vnpay.signed_query(result, SECRET)


def make_bare_table(url: str, refs: list[str]) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_bare_order (txn_ref varchar(40) PRIMARY KEY, state varchar(20))"))
        connection.execute(
            text("INSERT INTO bench_bare_order (txn_ref, state) VALUES (:ref, 'pending')"), [{"ref": r} for r in refs]
        )
    engine.dispose()


def hammer(name: str, base: str, path: str, calls: list[tuple[str, str]], concurrency: int):
    """Send every (ref, query) from `concurrency` threads at once; the answers' RspCode per ref."""
    measurement = Measurement(name)
    answers: dict[str, list[str]] = defaultdict(list)
    queue = iter(calls)
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def worker() -> None:
        session = requests.Session()
        start.wait()
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            ref, query = item
            began = time.perf_counter()
            try:
                response = session.get(f"{base}{path}?{query}", timeout=TIMEOUT)
                code = response.json().get("RspCode") if response.status_code == 200 else None
            except (requests.RequestException, ValueError) as error:
                code, response = None, error
            elapsed = time.perf_counter() - began
            with lock:
                if code is None:
                    measurement.failures.append(f"{name} {ref}: {response}")
                else:
                    measurement.latencies.append(elapsed)
                    answers[ref].append(code)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    measurement.seconds = time.perf_counter() - began
    return measurement, answers


def check_answers(name: str, answers: dict[str, list[str]], refs: list[str], duplicates: int) -> list[str]:
    expected = sorted(["00"] + ["02"] * (duplicates - 1))
    return [
        f"{name} {ref}: answers {sorted(answers.get(ref, []))}, expected one 00 and {duplicates - 1} × 02"
        for ref in refs
        if sorted(answers.get(ref, [])) != expected
    ]


def check_database(url: str, refs: list[str], callbacks: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    problems: list[str] = []
    with engine.connect() as connection:
        double = connection.execute(
            text(
                "SELECT a.txn_ref, count(*) FROM payment_ledger l JOIN payment_attempt a ON a.id = l.attempt_id"
                " WHERE l.kind = 'payment' GROUP BY a.txn_ref HAVING count(*) > 1"
            )
        ).all()
        problems += [f"double credit: {ref} credited {count} times" for ref, count in double]
        credited = connection.scalar(
            text(
                "SELECT count(*) FROM payment_ledger l JOIN payment_attempt a ON a.id = l.attempt_id"
                " WHERE l.kind = 'payment' AND a.txn_ref = ANY(:refs)"
            ),
            {"refs": refs},
        )
        if credited != len(refs):
            problems.append(f"{credited} credits for {len(refs)} orders")
        unpaid = connection.scalar(
            text(
                "SELECT count(*) FROM payment_order o JOIN payment_attempt a ON a.order_id = o.id"
                " WHERE a.txn_ref = ANY(:refs) AND o.state != 'paid'"
            ),
            {"refs": refs},
        )
        if unpaid:
            problems.append(f"{unpaid} orders not paid")
        logged = connection.scalar(text("SELECT count(*) FROM payment_ipn WHERE txn_ref = ANY(:refs)"), {"refs": refs})
        if logged != callbacks:
            problems.append(f"{logged} IPN rows for {callbacks} callbacks")
    engine.dispose()
    return problems


def line(measurement: Measurement) -> str:
    percentiles = "   ".join(f"p{n} {measurement.percentile(n / 100):6.1f} ms" for n in (50, 95, 99))
    return (
        f"  {measurement.name:<34} {measurement.throughput:7.1f} callbacks/s   {percentiles}"
        f"   ({len(measurement.latencies)} in {measurement.seconds:.2f} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to empty and use")
    parser.add_argument("--orders", type=int, default=100, help="orders per round (default 100)")
    parser.add_argument("--duplicates", type=int, default=10, help="identical IPNs per order (default 10)")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads sending at once (default 32)")
    parser.add_argument("--rounds", type=int, default=3, help="turns the servers are measured in (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, broker)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-ipn-"))
    servers: list[Server] = []
    try:
        env = {
            **{key: value for key, value in os.environ.items() if key not in CLEARED_SETTINGS},
            "DATABASE_URL": args.database_url,
            "ONESTOP_VAR_DIR": str(folder / "var"),
            "BLOB_DIR": str(folder / "blobs"),
            "PROVINCE": PROVINCE_CODE,
            "PUBLIC_URL": "http://127.0.0.1",  # required outside the demo; the bench follows no e-mailed link
            "SECRET_KEY": "bench-secret-not-for-production",
            "VNPAY_TMN_CODE": TMN_CODE,
            "VNPAY_HASH_SECRET": SECRET,
        }
        (folder / "var").mkdir()

        print(header())
        reset_postgres(args.database_url)
        print(f"Database: {args.database_url.split('@')[-1]}")
        started = time.perf_counter()
        run_flask(env, "db", "upgrade")
        run_flask(env, "province", "load", "provinces/demo")
        payments = prepare_payments(env, WARMUP_ORDERS + args.orders * args.rounds)
        refs = [request["vnp_TxnRef"] for request in payments]
        make_bare_table(args.database_url, refs)
        queries = {request["vnp_TxnRef"]: notification(request, 14_000_000 + i) for i, request in enumerate(payments)}
        print(f"{len(payments)} fees due, each with a payment begun, ready in {time.perf_counter() - started:.1f} s")

        real = start_server("onestop", "wsgi:app", env, folder, GUNICORN_SETTINGS)
        bare = start_server("bare", "bench.bare_app:app", env, folder, GUNICORN_SETTINGS)
        servers = [real, bare]
        wait_until_answering(real, "/healthz")
        wait_until_answering(bare, "/")
        targets = (
            ("bare: one indexed UPDATE", f"http://127.0.0.1:{bare.port}", "/ipn"),
            ("onestop: GET /payments/vnpay/ipn", f"http://127.0.0.1:{real.port}", "/payments/vnpay/ipn"),
        )
        print(
            f"gunicorn {' '.join(GUNICORN_SETTINGS)}; client: {args.concurrency} threads at once, a keep-alive "
            f"requests.Session each; per round {args.orders} orders × {args.duplicates} identical callbacks "
            f"= {args.orders * args.duplicates}, shuffled; {args.rounds} rounds, the servers taking turns; "
            f"warm-up: {WARMUP_ORDERS} orders × 2"
        )

        def calls(chosen: list[str], duplicates: int) -> list[tuple[str, str]]:
            sent = [(ref, queries[ref]) for ref in chosen for _ in range(duplicates)]
            random.shuffle(sent)
            return sent

        warmup = refs[:WARMUP_ORDERS]
        for name, base, path in targets:
            hammer(f"warm-up {name}", base, path, calls(warmup, 2), args.concurrency)
        totals = {name: Measurement(name) for name, _base, _path in targets}
        failures: list[str] = []
        measured = refs[WARMUP_ORDERS:]
        for turn in range(args.rounds):
            chosen = measured[turn * args.orders : (turn + 1) * args.orders]
            for name, base, path in targets:
                part, answers = hammer(name, base, path, calls(chosen, args.duplicates), args.concurrency)
                totals[name].latencies.extend(part.latencies)
                totals[name].seconds += part.seconds
                failures += part.failures + check_answers(name, answers, chosen, args.duplicates)

        bare_total, real_total = totals[targets[0][0]], totals[targets[1][0]]
        print("\nThroughput (all rounds):")
        print(line(bare_total))
        print(line(real_total))
        print(f"  ratio onestop / bare: {real_total.throughput / bare_total.throughput:.2f}")
        failures += check_database(args.database_url, measured, len(measured) * args.duplicates)
        if failures:
            report_failures(failures, real)
            return 1
        print(
            f"\nChecked: every order answered 00 once and 02 {args.duplicates - 1} times by both servers; "
            f"{len(measured)} ledger credits for {len(measured)} orders, zero double credits; every order paid; "
            f"{len(measured) * args.duplicates} IPN rows logged."
        )
        return 0
    finally:
        clean_up(servers, folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
