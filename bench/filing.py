"""Filing benchmark: upload a document and submit the application, against a bare upload endpoint.

    .venv/bin/python bench/filing.py [--database-url URL] [--broker-url URL] [--operations N] [--concurrency C]
                                     [--rounds R] [--keep] [--smoke]

It empties the PostgreSQL database named by --database-url (its name must contain "bench"; default
onestop_bench on 127.0.0.1), builds it with the real commands (`flask --app wsgi db upgrade`,
`flask --app wsgi province load provinces/demo`), creates confirmed citizens, each with a draft of the
criminal record certificate whose answers are complete (bench/filing_setup.py), starts three gunicorn
servers with the same settings and environment (the real app; the `POST /upload` route of
bench/bare_app.py as the baseline; bench/floor_app.py, the real app whose two measured routes only do
the bare endpoint's work), signs every citizen in over HTTP, then measures:

1. Throughput. One operation on the real app is what a citizen does last: upload a 1 MiB PDF as the ID
   card (`POST /applications/<id>/documents`), then submit (`POST /applications/<id>/submit`); both
   must answer 302 to the right page. One operation on the bare app is the same 1 MiB multipart upload,
   saved to disk by werkzeug. One operation on the floor app is the real app's two requests with the
   same cookies and body, answered without any work of their own: the ceiling of what two signed-in
   requests of this stack reach. C client threads, each with its own keep-alive requests.Session, run
   a fixed number of operations; the endpoints are measured in interleaved rounds. Each upload carries
   different bytes, so that the content-addressed blob store cannot deduplicate them. The CPU time
   every process used during each server's rounds (its gunicorn workers, PostgreSQL, Redis, this
   client) is read from /proc and printed per operation: it says where the time goes.
2. Memory. A burst of 50 simultaneous uploads of a PDF just under 10 MiB (the default UPLOAD_MAX_BYTES)
   to each server, while a thread reads every worker's VmRSS in /proc every 20 ms; the kernel's own
   peak (VmHWM, reset before the burst) is read too.

At the end the database must hold every measured application submitted, with distinct codes, each
with its own uploaded document. Rate limits are raised to 100000 per second for the servers, so that
they do not throttle the client. Both servers get CELERY_BROKER_URL=--broker-url (default Redis at
redis://127.0.0.1:6379/14), as production runs (DESIGN.md: Redis or RabbitMQ), rather than the
embedded SQLite broker meant for a demo on one machine; no Celery worker runs, and the messages the
submissions queued are removed from the broker at the end. The figures are only meaningful as
ratios: absolute numbers depend on the machine. See docs/benchmarks.md. --app runs a variant of the
real app (module:attribute) in its place, to try a change without committing it. --smoke runs the
same path in seconds (4 operations, a burst of 3 uploads of 1 MiB): it proves the benchmark still runs,
its figures mean nothing.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/onestop_bench"
# Database 15 is the test suite's (tests/notifications/test_outbox.py).
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/14"
PROVINCE_CODE = "MS"
GUNICORN_SETTINGS = ["--workers", "2", "--threads", "2"]
# Settings a developer's shell may hold that would change what is measured: the defaults apply instead.
CLEARED_SETTINGS = [
    "ONESTOP_DEMO",
    "UPLOAD_MAX_BYTES",
    "STORAGE_BACKEND",
    "CLAMD_SOCKET",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "RATELIMIT_STORAGE_URI",
]
TARGET_RATIO = 0.5
SMALL_FILE = 1024 * 1024
LARGE_FILE = 10 * 1024 * 1024 - 64 * 1024  # Under the default UPLOAD_MAX_BYTES of 10 MiB.
BURST = 50
SAMPLE_EVERY = 0.02
TIMEOUT = 600
TAG_LENGTH = 48
BOUNDARY = "onestop-bench-boundary-7MA4YWxkTrZu0gW"


# ---------------------------------------------------------------------------------------------
# What is uploaded


@dataclass
class PdfTemplate:
    """A valid one-page PDF padded to `size` bytes by an extra stream object of random bytes.

    `variant(tag)` overwrites the first bytes of that stream with the tag: the offsets, the xref table
    and the size stay the same, so every variant is as valid as the template, and different.
    """

    data: bytes
    marker: int

    @classmethod
    def build(cls, size: int) -> "PdfTemplate":
        from pypdf import PdfWriter
        from pypdf.generic import NameObject, StreamObject

        padding = size // 2
        for _attempt in range(5):
            noise = os.urandom(padding)
            writer = PdfWriter()
            writer.add_blank_page(width=595, height=842)
            stream = StreamObject()
            stream.set_data(noise)
            # Referenced from the catalogue, so that no writer or reader drops it as unused.
            writer._root_object[NameObject("/BenchPadding")] = writer._add_object(stream)
            buffer = io.BytesIO()
            writer.write(buffer)
            data = buffer.getvalue()
            if len(data) == size:
                return cls(data, data.index(noise[:64]))
            padding += size - len(data)
        raise RuntimeError(f"could not build a PDF of exactly {size} bytes")

    def variant(self, tag: bytes) -> bytes:
        return self.data[: self.marker] + tag + self.data[self.marker + len(tag) :]


def tag(run: str, label: str, index: int) -> bytes:
    text = f"{run}:{label}:{index:09d}".encode()
    assert len(text) <= TAG_LENGTH
    return text.ljust(TAG_LENGTH, b" ")


def multipart(fields: dict[str, str], filename: str, content: bytes) -> bytes:
    """The body a browser sends for the upload form: the fields, then the file."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
    )
    parts += [content, f"\r\n--{BOUNDARY}--\r\n".encode()]
    return b"".join(parts)


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


# ---------------------------------------------------------------------------------------------
# Citizens


@dataclass
class Citizen:
    email: str
    application: int
    cookies: requests.cookies.RequestsCookieJar | None = None
    csrf: str = ""


def prepare_citizens(env: dict, count: int) -> tuple[list[Citizen], str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.filing_setup", str(count)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"bench/filing_setup.py failed:\n{done.stdout}\n{done.stderr}")
    prepared = json.loads(done.stdout.strip().splitlines()[-1])
    citizens = [Citizen(c["email"], c["application"]) for c in prepared["citizens"]]
    return citizens, prepared["password"], prepared["document_type"]


def sign_in(base: str, citizens: list[Citizen], password: str, concurrency: int) -> list[str]:
    """Sign every citizen in, as a browser does, and keep their cookies and the CSRF token of their draft."""
    failures: list[str] = []
    queue = iter(citizens)
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    citizen = next(queue, None)
                if citizen is None:
                    return
                session.cookies.clear()
                try:
                    page = session.get(f"{base}/account/login", timeout=60)
                    form = {"csrf_token": csrf_token(page.text), "login": citizen.email, "password": password}
                    signed = session.post(f"{base}/account/login", data=form, allow_redirects=False, timeout=60)
                    if signed.status_code != 302:
                        raise RuntimeError(f"sign-in answered {signed.status_code}")
                    documents = session.get(f"{base}/applications/{citizen.application}/documents", timeout=60)
                    if documents.status_code != 200 or 'name="file"' not in documents.text:
                        raise RuntimeError(f"the documents page answered {documents.status_code}, with no upload")
                    citizen.csrf = csrf_token(documents.text)
                    citizen.cookies = session.cookies.copy()
                except (requests.RequestException, RuntimeError) as error:
                    with lock:
                        failures.append(f"sign-in of {citizen.email}: {error}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


# ---------------------------------------------------------------------------------------------
# Operations

# An operation gets its client's session and its index; it returns what went wrong, or None.
Operation = Callable[[requests.Session, int], str | None]


def redirected(response: requests.Response, path: str, what: str) -> str | None:
    """None if the response is the 302 to `path` that success answers; else what went wrong."""
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.endswith(path):
        return None
    return f"{what} {response.request.path_url}: HTTP {response.status_code} {location}".rstrip()


@dataclass
class Filing:
    """Upload the ID card to a draft, then submit it: the last two pages of a filing."""

    base: str
    citizens: list[Citizen]
    document_type: str
    template: PdfTemplate
    run: str
    upload_latencies: list[float] = field(default_factory=list)
    submit_latencies: list[float] = field(default_factory=list)

    def upload(self, session: requests.Session, citizen: Citizen, content: bytes) -> str | None:
        session.cookies = citizen.cookies.copy()
        fields = {"csrf_token": citizen.csrf, "action": "upload", "type": self.document_type}
        url = f"{self.base}/applications/{citizen.application}/documents"
        response = session.post(
            url, data=multipart(fields, "cccd.pdf", content), headers=MULTIPART, allow_redirects=False, timeout=TIMEOUT
        )
        return redirected(response, f"/applications/{citizen.application}/documents", "upload")

    def __call__(self, session: requests.Session, index: int) -> str | None:
        citizen = self.citizens[index]
        started = time.perf_counter()
        problem = self.upload(session, citizen, self.template.variant(tag(self.run, "filing", citizen.application)))
        uploaded = time.perf_counter()
        if problem:
            return problem
        response = session.post(
            f"{self.base}/applications/{citizen.application}/submit",
            data={"csrf_token": citizen.csrf, "delivery": "online"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        self.upload_latencies.append(uploaded - started)
        self.submit_latencies.append(time.perf_counter() - uploaded)
        return redirected(response, f"/applications/{citizen.application}/receipt", "submit")


@dataclass
class BareUpload:
    base: str
    template: PdfTemplate
    run: str
    label: str
    fields: dict[str, str]

    def __call__(self, session: requests.Session, index: int) -> str | None:
        body = multipart(self.fields, "cccd.pdf", self.template.variant(tag(self.run, self.label, index)))
        response = session.post(f"{self.base}/upload", data=body, headers=MULTIPART, timeout=TIMEOUT)
        return None if response.status_code == 200 else f"bare upload {index}: HTTP {response.status_code}"


# ---------------------------------------------------------------------------------------------
# Where the CPU goes: the whole machine's processes are read from /proc, grouped by what they are.

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process has used so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def processes_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass
class CpuMeter:
    """CPU seconds each group of processes used during the runs given to `measure`, summed over them."""

    server: "Server"
    used: dict[str, float] = field(default_factory=dict)

    def groups(self) -> dict[str, list[int]]:
        return {
            "server workers": worker_pids(self.server.process.pid),
            "PostgreSQL": processes_named("postgres"),
            "Redis": processes_named("redis-server"),
        }

    def snapshot(self) -> dict[str, float]:
        taken = {name: sum(process_cpu(pid) for pid in pids) for name, pids in self.groups().items()}
        taken["client"] = sum(os.times()[:2])
        return taken

    def measure(self, run: Callable[..., "Measurement"], *args) -> "Measurement":
        before = self.snapshot()
        result = run(*args)
        after = self.snapshot()
        for name, value in after.items():
            self.used[name] = self.used.get(name, 0.0) + value - before.get(name, 0.0)
        return result


def hammer(name: str, operation: Operation, indexes: list[int], concurrency: int) -> Measurement:
    """Run the operation once per index from `concurrency` threads, each with its own keep-alive session."""
    measurement = Measurement(name)
    queue = iter(indexes)
    lock = threading.Lock()

    def worker() -> None:
        latencies, failures = [], []
        with requests.Session() as session:
            while True:
                with lock:
                    index = next(queue, None)
                if index is None:
                    break
                started = time.perf_counter()
                try:
                    problem = operation(session, index)
                except Exception as error:  # A failed operation is reported, never lost with its thread.
                    problem = f"#{index}: {error.__class__.__name__}: {error}"
                latencies.append(time.perf_counter() - started)
                if problem:
                    failures.append(problem)
        with lock:
            measurement.latencies.extend(latencies)
            measurement.failures.extend(failures)

    measurement.seconds = run_clients(worker, concurrency)
    return measurement


# ---------------------------------------------------------------------------------------------
# Memory


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children, read from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the parent's pid follows the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            children.append(int(entry.name))
    return sorted(children)


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


@dataclass
class WorkerMemory:
    pid: int
    baseline_kb: int
    peak_kb: int = 0
    hwm_kb: int | None = None
    samples: int = 0


@dataclass
class Burst:
    server: str
    workers: list[WorkerMemory]
    ok: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def burst(server: Server, send: Callable[[requests.Session, int], str | None], count: int) -> Burst:
    """`count` simultaneous uploads while a thread samples the workers' RSS every SAMPLE_EVERY seconds."""
    pids = worker_pids(server.process.pid)
    workers = [WorkerMemory(pid, memory_kb(pid)["VmRSS"]) for pid in pids]
    hwm_reset = True
    for worker in workers:
        try:  # "5" resets the peak RSS the kernel keeps (VmHWM) to the current RSS (Linux 4.0+).
            Path(f"/proc/{worker.pid}/clear_refs").write_text("5")
        except OSError:
            hwm_reset = False
    result = Burst(server.name, workers)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for worker in workers:
                try:
                    rss = memory_kb(worker.pid)["VmRSS"]
                except (OSError, KeyError):
                    continue
                worker.peak_kb = max(worker.peak_kb, rss)
                worker.samples += 1
            stop.wait(SAMPLE_EVERY)

    ready = threading.Barrier(count + 1)
    lock = threading.Lock()

    def client(index: int) -> None:
        with requests.Session() as session:
            ready.wait()
            try:
                problem = send(session, index)
            except Exception as error:
                problem = f"#{index}: {error.__class__.__name__}: {error}"
        with lock:
            if problem:
                result.failures.append(problem)
            else:
                result.ok += 1

    sampler = threading.Thread(target=sample)
    sampler.start()
    clients = [threading.Thread(target=client, args=(index,)) for index in range(count)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)  # Let the sampler see the idle workers first.
    ready.wait()
    started = time.perf_counter()
    for thread in clients:
        thread.join()
    result.seconds = time.perf_counter() - started
    time.sleep(0.2)
    stop.set()
    sampler.join()
    for worker in workers:
        try:
            worker.hwm_kb = memory_kb(worker.pid)["VmHWM"] if hwm_reset else None
        except OSError:
            result.failures.append(f"{server.name} worker {worker.pid} is gone after the burst")
    if worker_pids(server.process.pid) != pids:
        result.failures.append(f"{server.name}: the workers changed during the burst (one died?)")
    return result


# ---------------------------------------------------------------------------------------------
# Checking the database


def check_database(
    url: str, measured: list[Citizen], warmup: list[Citizen], bursted: list[Citizen], burst_bytes: int
) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    problems = []
    with engine.connect() as connection:

        def rows(ids: list[Citizen]):
            return connection.execute(
                text(
                    "SELECT a.id, a.state, a.code, count(d.id) AS documents, min(b.size) AS smallest,"
                    " max(b.size) AS largest, min(d.blob_sha256) AS blob"
                    " FROM application a"
                    " LEFT JOIN application_document ad ON ad.application_id = a.id"
                    " LEFT JOIN document d ON d.id = ad.document_id"
                    " LEFT JOIN blob b ON b.sha256 = d.blob_sha256"
                    " WHERE a.id = ANY(:ids) GROUP BY a.id, a.state, a.code"
                ),
                {"ids": [c.application for c in ids]},
            ).all()

        found = rows(measured)
        submitted = [r for r in found if r.state == "submitted" and r.code]
        codes = {r.code for r in submitted}
        blobs = {r.blob for r in found}
        well_attached = [r for r in found if r.documents == 1 and r.smallest == r.largest == SMALL_FILE]
        all_submitted = connection.scalar(text("SELECT count(*) FROM application WHERE state = 'submitted'"))
        all_codes = connection.scalar(text("SELECT count(DISTINCT code) FROM application WHERE state = 'submitted'"))
        print(
            f"Database: {len(submitted)} of {len(measured)} measured applications submitted, {len(codes)} distinct "
            f"codes, {len(well_attached)} with exactly one {SMALL_FILE:,}-byte document, {len(blobs)} distinct blobs; "
            f"{all_submitted} submitted in all ({len(warmup)} warm-up), {all_codes} distinct codes"
        )
        if not (len(submitted) == len(codes) == len(well_attached) == len(blobs) == len(measured)):
            problems.append("the measured applications are not all submitted with their own code and document")
        if not all_submitted == all_codes == len(measured) + len(warmup):
            problems.append(f"expected {len(measured) + len(warmup)} submitted applications with distinct codes")
        counted = connection.scalar(
            text("SELECT p.filing_count FROM procedure p JOIN application a ON a.procedure_id = p.id WHERE a.id = :id"),
            {"id": measured[0].application},
        )
        # Not a failure of the benchmark, but worth seeing: the catalogue orders procedures by this count.
        print(f"          the procedure's filing_count says {counted} (for {all_submitted} submitted)")
        burst_rows = rows(bursted)
        attached = [r for r in burst_rows if r.state == "draft" and r.documents == 1 and r.largest == burst_bytes]
        print(f"          {len(attached)} of {len(bursted)} burst drafts hold one {burst_bytes:,}-byte document")
        if len(attached) != len(bursted):
            problems.append("the burst uploads are not all attached to their drafts")
    engine.dispose()
    return problems


def drain_broker(url: str) -> None:
    """Remove the e-mails the submissions queued: no worker consumes them here."""
    if not url.startswith("redis://"):
        return
    import redis

    client = redis.Redis.from_url(url)
    try:
        dropped = client.llen("celery")
        client.delete("celery")
        print(f"Removed {dropped} queued messages from the broker ({url}).")
    except redis.RedisError as error:
        print(f"Could not empty the broker queue at {url}: {error}")
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# Report


def report_cpu(measured: list[tuple[Measurement, CpuMeter]]) -> None:
    """CPU milliseconds per operation in each group of processes, from /proc (new processes PostgreSQL
    starts during a round are counted from zero, ones that end are missed: a lower bound)."""
    print()
    groups = list(measured[0][1].used)
    print(f"{'CPU ms per operation':<52} " + " ".join(f"{g:>14}" for g in groups) + f" {'total':>8}")
    for measurement, meter in measured:
        per = {g: meter.used[g] / len(measurement.latencies) * 1000 for g in groups}
        print(f"{measurement.name:<52} " + " ".join(f"{per[g]:>14.1f}" for g in groups) + f" {sum(per.values()):>8.1f}")


def report_throughput(bare: Measurement, real: Measurement, filing: Filing, floor: Measurement) -> bool:
    print()
    print(f"{'operation':<52} {'ops':>5} {'seconds':>8} {'ops/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for m in (bare, real, floor):
        print(
            f"{m.name:<52} {len(m.latencies):>5} {m.seconds:>8.1f} {m.throughput:>7.1f} "
            f"{m.percentile(0.50):>8.1f} {m.percentile(0.95):>8.1f}"
        )
        if m is not real:
            continue
        for name, latencies in (
            ("  of which upload", filing.upload_latencies),
            ("  of which submit", filing.submit_latencies),
        ):
            part = Measurement(name, latencies)
            print(f"{name:<52} {'':>5} {'':>8} {'':>7} {part.percentile(0.50):>8.1f} {part.percentile(0.95):>8.1f}")
    ratio = real.throughput / bare.throughput
    met = ratio >= TARGET_RATIO
    print()
    print(f"onestop ops/s / bare ops/s: {ratio:.2f}")
    print(f"TARGET onestop ops/s >= {TARGET_RATIO:g}x bare ops/s: {'MET' if met else 'NOT MET'}")
    print(
        f"floor ops/s / bare ops/s: {floor.throughput / bare.throughput:.2f} (the most two signed-in requests of "
        f"this stack reach); onestop ops/s / floor ops/s: {real.throughput / floor.throughput:.2f}"
    )
    return met


def report_memory(bursts: list[Burst], count: int) -> None:
    print()
    print(
        f"{'server':<8} {'worker':>7} {'baseline MB':>12} {'peak MB':>8} {'peak-base MB':>13} {'VmHWM MB':>9} "
        f"{'samples':>8} {'uploads ok':>11} {'seconds':>8}"
    )
    for result in bursts:
        for number, worker in enumerate(result.workers):
            hwm = f"{worker.hwm_kb / 1024:.1f}" if worker.hwm_kb is not None else "-"
            tail = f"{result.ok:>8}/{count:<2} {result.seconds:>8.1f}" if number == 0 else ""
            print(
                f"{result.server:<8} {worker.pid:>7} {worker.baseline_kb / 1024:>12.1f} {worker.peak_kb / 1024:>8.1f} "
                f"{(worker.peak_kb - worker.baseline_kb) / 1024:>13.1f} {hwm:>9} {worker.samples:>8} {tail}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to empty and use")
    parser.add_argument(
        "--broker-url", default=DEFAULT_BROKER_URL, help=f"Celery broker of both servers (default {DEFAULT_BROKER_URL})"
    )
    parser.add_argument("--operations", type=int, default=200, help="measured operations per server (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="turns the servers are measured in (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (blobs, uploads, logs)")
    parser.add_argument(
        "--app", default="wsgi:app", help="the real app for gunicorn (default wsgi:app); another one to try a variant"
    )
    parser.add_argument("--burst", type=int, default=BURST, help=f"simultaneous large uploads (default {BURST})")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check in seconds that the benchmark runs")
    args = parser.parse_args()
    burst_bytes = LARGE_FILE
    if args.smoke:
        args.operations, args.concurrency, args.rounds, args.burst, burst_bytes = 4, 2, 1, 3, SMALL_FILE

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-filing-"))
    servers: list[Server] = []
    try:
        env = server_env(
            folder,
            CLEARED_SETTINGS,
            DATABASE_URL=args.database_url,
            BARE_UPLOAD_DIR=str(folder / "bare-uploads"),
            PROVINCE=PROVINCE_CODE,
            LOGIN_RATE_LIMIT=UNLIMITED,
            ACCOUNT_RATE_LIMIT=UNLIMITED,
            UPLOAD_RATE_LIMIT=UNLIMITED,
            CELERY_BROKER_URL=args.broker_url,
        )
        for name in ("var", "blobs", "bare-uploads"):
            (folder / name).mkdir()

        print(header())
        reset_postgres(args.database_url)
        print(f"Database: {args.database_url.split('@')[-1]}")
        started = time.perf_counter()
        run_flask(env, "db", "upgrade")
        run_flask(env, "province", "load", "provinces/demo")
        warmup_count = 2 * args.concurrency
        citizens, password, document_type = prepare_citizens(env, warmup_count + args.operations + args.burst)
        warmup = citizens[:warmup_count]
        measured = citizens[warmup_count : warmup_count + args.operations]
        bursted = citizens[warmup_count + args.operations :]
        print(
            f"{len(citizens)} confirmed citizens, each with a complete draft waiting for its ID card, "
            f"ready in {time.perf_counter() - started:.1f} s"
        )

        real = start_server("onestop", args.app, env, folder, GUNICORN_SETTINGS)
        bare = start_server("bare", "bench.bare_app:app", env, folder, GUNICORN_SETTINGS)
        floor = start_server("floor", "bench.floor_app:app", env, folder, GUNICORN_SETTINGS)
        servers = [real, bare, floor]
        wait_until_answering(real, "/healthz")
        wait_until_answering(bare, "/")
        wait_until_answering(floor, "/healthz")
        real_base, bare_base = f"http://127.0.0.1:{real.port}", f"http://127.0.0.1:{bare.port}"
        floor_base = f"http://127.0.0.1:{floor.port}"

        started = time.perf_counter()
        failures = sign_in(real_base, citizens, password, args.concurrency)
        if failures:
            print("\nFAILURES:", *failures[:20], sep="\n  ")
            return 1
        print(f"Signed in {len(citizens)} citizens over HTTP in {time.perf_counter() - started:.1f} s")

        small, large = PdfTemplate.build(SMALL_FILE), PdfTemplate.build(burst_bytes)
        run = os.urandom(6).hex()
        form = {"csrf_token": citizens[0].csrf, "action": "upload", "type": document_type}
        filing = Filing(real_base, warmup + measured, document_type, small, run)
        bare_upload = BareUpload(bare_base, small, run, "bare", form)
        # Same citizens and cookies (same SECRET_KEY and database): the floor's routes change nothing.
        floor_filing = Filing(floor_base, warmup + measured, document_type, small, run)
        print(
            f"gunicorn {' '.join(GUNICORN_SETTINGS)} {args.app}; LOGIN/ACCOUNT/UPLOAD_RATE_LIMIT={UNLIMITED}; "
            f"client: {args.concurrency} threads with a keep-alive requests.Session each; "
            f"{args.operations} operations per server after {warmup_count} warm-up ones, "
            f"in {args.rounds} interleaved rounds; uploads: {SMALL_FILE:,}-byte PDFs, each different"
        )

        hammer("warm-up", bare_upload, list(range(args.operations, args.operations + warmup_count)), args.concurrency)
        hammer("warm-up", filing, list(range(warmup_count)), args.concurrency)
        hammer("warm-up", floor_filing, list(range(warmup_count)), args.concurrency)
        for measured_filing in (filing, floor_filing):
            measured_filing.upload_latencies.clear()
            measured_filing.submit_latencies.clear()
        bare_total = Measurement("bare: POST /upload (saved to disk)")
        real_total = Measurement("onestop: POST documents (upload) + POST submit")
        floor_total = Measurement("floor: the same two routes doing the bare work")
        meters = {bare_total.name: CpuMeter(bare), real_total.name: CpuMeter(real), floor_total.name: CpuMeter(floor)}
        size = -(-args.operations // args.rounds)
        for turn in range(args.rounds):
            indexes = list(range(turn * size, min((turn + 1) * size, args.operations)))
            for total, operation, offset in (
                (bare_total, bare_upload, 0),
                (real_total, filing, warmup_count),
                (floor_total, floor_filing, warmup_count),
            ):
                part = meters[total.name].measure(
                    hammer, total.name, operation, [offset + i for i in indexes], args.concurrency
                )
                total.latencies.extend(part.latencies)
                total.failures.extend(part.failures)
                total.seconds += part.seconds

        big_filing = Filing(real_base, bursted, document_type, large, run)

        def real_send(session: requests.Session, index: int) -> str | None:
            citizen = bursted[index]
            return big_filing.upload(session, citizen, large.variant(tag(run, "burst", citizen.application)))

        bare_send = BareUpload(bare_base, large, run, "bare-burst", form)
        print(
            f"Memory: {args.burst} simultaneous uploads of a {burst_bytes:,}-byte PDF to each server "
            f"(onestop: the documents route of {args.burst} drafts); "
            f"each worker's RSS read every {SAMPLE_EVERY * 1000:g} ms"
        )
        bursts = [burst(real, real_send, args.burst), burst(bare, bare_send, args.burst)]

        report_throughput(bare_total, real_total, filing, floor_total)
        report_cpu([(total, meters[total.name]) for total in (bare_total, real_total, floor_total)])
        report_memory(bursts, args.burst)
        print()
        failures = [
            *bare_total.failures,
            *real_total.failures,
            *floor_total.failures,
            *(failure for result in bursts for failure in result.failures),
            *check_database(args.database_url, measured, warmup, bursted, burst_bytes),
        ]
        if failures:
            report_failures(failures, real)
            return 1
        print("All operations succeeded: every upload and submission answered as it should.")
        return 0
    finally:
        clean_up(servers, folder, args.keep)
        drain_broker(args.broker_url)


if __name__ == "__main__":
    sys.exit(main())
