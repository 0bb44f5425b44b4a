"""Helpers shared by the benchmark scripts: the database, the servers, the header line, measurements.

The scripts run as `.venv/bin/python bench/<name>.py`, so they import this module as `_common`.
"""

import http.client
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The benchmark's own servers run outside the demo, where the app refuses demo secrets (onestop/secrets_check.py).
BENCH_SECRETS = {
    "SECRET_KEY": "bench-secret-not-for-production",
    "AUDIT_CHAIN_KEY": "bench-audit-key-not-for-production",
    "VNPAY_HASH_SECRET": "BENCHSECRETNOTFORPRODUCTION00000",
    "PUBLIC_URL": "http://127.0.0.1",  # required outside the demo; the benches follow no e-mailed link
    # Outside the demo, SMS must go to a provider or be disabled on purpose; the benches send none.
    "SMS_BACKEND": "disabled",
    "MAIL_SERVER": "127.0.0.1",
}
# Rate limits the benches lift: one client signs in and posts far more often than any person could.
UNLIMITED = "100000 per second"


def server_env(folder: Path, cleared: list[str], **settings: str) -> dict[str, str]:
    """The environment of a bench's own servers: this shell's less what they must not inherit (`cleared`),
    files under `folder`, the bench secrets, plain-HTTP cookies on loopback, and the bench's own `settings`."""
    return {
        **{key: value for key, value in os.environ.items() if key not in cleared},
        "ONESTOP_VAR_DIR": str(folder / "var"),
        "BLOB_DIR": str(folder / "blobs"),
        **BENCH_SECRETS,
        "SESSION_COOKIE_SECURE": "0",  # Plain HTTP on loopback: the client must get its cookies back.
        **settings,
    }


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def reset_postgres(url: str) -> None:
    """Create the database if missing, else empty its public schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        sys.exit("--database-url takes a PostgreSQL URL; without it the benchmark uses a temporary SQLite file.")
    if "bench" not in (parsed.database or ""):
        sys.exit(f"Refusing to empty {parsed.database!r}: the benchmark database's name must contain 'bench'.")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run_flask(env: dict, *args: str) -> None:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[2:])} failed:\n{done.stdout}\n{done.stderr}")
    print(f"  flask {' '.join(args)}: " + (done.stdout.strip().replace("\n", "\n  ") or "ok"))


def free_port() -> int:
    """A free loopback port; within BENCH_PORTS ("8400-8499") when set, so that engineers sharing a machine
    keep to their own ranges."""
    first, _, last = os.environ.get("BENCH_PORTS", "").partition("-")
    candidates = range(int(first), int(last) + 1) if first and last else [0]
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise RuntimeError("the page has no CSRF token")
    return match.group(1) or match.group(2)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path


def start_server(
    name: str, target: str, env: dict, folder: Path, settings: list[str], port: int | None = None
) -> Server:
    """gunicorn serving `target` with `settings` (workers, threads), logging into folder; on `port`, else a free one."""
    port = port or free_port()
    log = folder / f"gunicorn-{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *settings,
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(log),
        target,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Server(name, port, process, log)


def wait_until_answering(server: Server, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    log = server.log.read_text(errors="replace") if server.log.exists() else ""
    raise RuntimeError(f"the {server.name} server did not answer on {path}:\n{log[-3000:]}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@dataclass
class Measurement:
    name: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        rank = max(1, math.ceil(fraction * len(ordered)))  # Nearest rank.
        return ordered[rank - 1] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds


def run_clients(client, count: int) -> float:
    """Run `client` in `count` threads at once; returns the seconds until the last one has ended."""
    threads = [threading.Thread(target=client) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def commit() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def header() -> str:
    """Date, commit, Python, CPUs and load average: what a result must be read with."""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; commit {commit()}; Python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def report_failures(failures: list[str], server: Server) -> None:
    """Print what went wrong and the end of the app's log, where the reason usually is."""
    print(f"\nFAILURES ({len(failures)}):")
    for failure in failures[:30]:
        print(f"  {failure}")
    log = server.log.read_text(errors="replace").splitlines() if server.log.exists() else []
    print("Last lines of the onestop server's log:", *log[-20:], sep="\n  ")


def clean_up(servers: list[Server], folder: Path, keep: bool) -> None:
    for server in servers:
        stop_server(server)
    if keep:
        print(f"Kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
