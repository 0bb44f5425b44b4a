"""Outbox benchmark: delivered e-mails per second through real Celery workers on Redis to a local SMTP sink,
as a ratio to the same number of no-op Celery tasks on the same broker and workers (the engine's ceiling).

    .venv/bin/python bench/outbox.py [--database-url URL] [--broker URL] [--messages N] [--rounds R]
                                     [--workers 1,2] [--batch-size 20] [--keep] [--smoke]

It empties the PostgreSQL database named by --database-url (its name must contain "bench"; default
onestop_bench_outbox on 127.0.0.1), builds it with `flask --app wsgi db upgrade`, empties the Redis
database given by --broker (default redis://127.0.0.1:6379/13) and starts an SMTP sink (aiosmtpd) in
this process. For each worker count W it starts W worker processes
(`celery -A onestop.worker worker --pool=solo -I bench.outbox_tasks`), warms them up, then per round:

- no-op: publishes N tasks that only increment a Redis counter, and times until the counter reaches N;
- outbox: writes N e-mails with `queue_message` in one transaction, as a service would; the commit
  hands them to Celery in tasks of OUTBOX_BATCH_SIZE (--batch-size; 1: a task per message, as when
  every message is written by a transaction of its own); times until the sink has received N messages.

Correctness is checked, not assumed: every row sent with its provider message id, every Message-ID
received once (duplicates 0). The target is outbox / no-op ≥ 0.5. --smoke runs the same path with
60 messages, 1 and 2 workers, one round, in well under a minute: it proves the benchmark still runs.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import BENCH_SECRETS, ROOT, clean_up, free_port, header, reset_postgres, run_flask

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/onestop_bench_outbox"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
WARMUP = 20
TIMEOUT = 300


class Sink:
    """aiosmtpd handler counting Message-IDs as they arrive."""

    def __init__(self):
        self.received: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                self.received[line.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"

    @property
    def total(self) -> int:
        return sum(self.received.values())


def wait_for(condition, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            tail = "\n".join(path.read_text(errors="replace")[-1500:] for path in logs if path.exists())
            sys.exit(f"{what} did not finish in {TIMEOUT} s\n{tail}")
        time.sleep(0.005)


def start_workers(count: int, env: dict, folder: Path) -> tuple[list[subprocess.Popen], list[Path]]:
    workers, logs = [], []
    for n in range(count):
        log = folder / f"worker-{n}.log"
        command = [sys.executable, "-m", "celery", "-A", "onestop.worker", "worker", "--pool=solo", "-c", "1"]
        command += ["-I", "bench.outbox_tasks", "-n", f"bench{n}@%h", "-l", "warning", "--without-gossip"]
        command += ["--without-mingle", "--without-heartbeat"]
        with open(log, "wb") as output:
            workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))
        logs.append(log)
    return workers, logs


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to empty and use")
    parser.add_argument("--broker", default=DEFAULT_BROKER, help="Redis database to empty and use as the broker")
    parser.add_argument("--messages", type=int, default=1000, help="messages (and no-op tasks) per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per worker count (default 3)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure (default 1,2)")
    parser.add_argument("--batch-size", type=int, default=20, help="OUTBOX_BATCH_SIZE: messages per task (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (worker logs)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check in seconds that the benchmark runs")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.rounds = 60, 1
    worker_counts = [int(part) for part in args.workers.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-outbox-"))
    (folder / "var").mkdir()
    from aiosmtpd.controller import Controller

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("ONESTOP_DEMO", "CELERY_TASK_ALWAYS_EAGER")},
        **BENCH_SECRETS,
        "DATABASE_URL": args.database_url,
        "ONESTOP_VAR_DIR": str(folder / "var"),
        "CELERY_BROKER_URL": args.broker,
        "BENCH_COUNTER_URL": args.broker,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "OUTBOX_BATCH_SIZE": str(args.batch_size),
        "OUTBOX_SWEEP_INTERVAL": "3600",  # no beat runs; the sweep is not what is measured
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)  # this process writes the messages with the app's own code, on the same settings
    sys.path.insert(0, str(ROOT))
    import redis
    from sqlalchemy import func, select

    from onestop import create_app
    from onestop.extensions import db
    from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
    from onestop.notifications.outbox import queue_message

    try:
        print(header())
        reset_postgres(args.database_url)
        broker = redis.Redis.from_url(args.broker)
        broker.flushdb()
        run_flask(env, "db", "upgrade")
        app = create_app()
        celery = app.extensions["celery"]
        print(
            f"Database: {args.database_url.split('@')[-1]}; broker {args.broker}; SMTP sink aiosmtpd in the bench "
            f"process; workers --pool=solo each; {args.messages} messages per round, {args.rounds} rounds; "
            f"OUTBOX_BATCH_SIZE {args.batch_size}"
        )

        def run_noop(count: int) -> float:
            broker.set("bench-outbox-noop", 0)
            began = time.perf_counter()
            for _ in range(count):
                celery.send_task("bench.outbox_tasks.noop")
            wait_for(lambda: int(broker.get("bench-outbox-noop") or 0) >= count, "the no-op tasks", logs)
            return time.perf_counter() - began

        def run_outbox(count: int) -> float:
            target = sink.total + count
            began = time.perf_counter()
            with app.app_context():
                for n in range(count):
                    queue_message(Channel.EMAIL, f"nguoi{n}@example.com", f"Hồ sơ số {n} đã được tiếp nhận.", "Hồ sơ")
                db.session.commit()  # the after-commit hand-off queues one task per message
                db.session.remove()
            wait_for(lambda: sink.total >= target, "the deliveries", logs)
            return time.perf_counter() - began

        results = []
        for count in worker_counts:
            workers, logs = start_workers(count, env, folder)
            try:
                run_noop(WARMUP * count)
                run_outbox(WARMUP * count)
                noop_seconds = outbox_seconds = 0.0
                for _ in range(args.rounds):
                    noop_seconds += run_noop(args.messages)
                    outbox_seconds += run_outbox(args.messages)
            finally:
                stop_workers(workers)
            total = args.messages * args.rounds
            results.append((count, total / noop_seconds, total / outbox_seconds))

        print("\nworkers   no-op tasks/s   delivered e-mails/s   ratio (target >= 0.5)")
        for count, noop_rate, outbox_rate in results:
            print(f"  {count:<7} {noop_rate:13.1f}   {outbox_rate:19.1f}   {outbox_rate / noop_rate:5.2f}")

        with app.app_context():
            rows = db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
            ids = set(db.session.scalars(select(OutboxMessage.provider_message_id)))
        duplicates = sum(copies - 1 for copies in sink.received.values())
        problems = []
        if dict(rows) != {DeliveryState.SENT: len(ids)} or set(sink.received) != ids:
            problems.append(f"rows by state {dict(rows)}; {len(ids)} ids recorded, {len(sink.received)} received")
        if duplicates:
            problems.append(f"{duplicates} duplicate e-mails")
        if problems:
            print("FAILURES:", *problems, sep="\n  ")
            return 1
        print(f"\nChecked: {len(ids)} messages, every row sent with its Message-ID, each received once (duplicates 0).")
        return 0
    finally:
        smtp.stop()
        clean_up([], folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
