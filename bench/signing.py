"""Signing benchmark: one signed two-page result through the real path, as a ratio to the libraries' own cost.

    .venv/bin/python bench/signing.py [--results N] [--keep] [--smoke]

It starts the demo PKI (certomancer: TSA, OCSP, CRL) and the signing service as gunicorn processes on loopback,
builds a SQLite database with `db upgrade`, loads the demo pack, files N criminal-record applications through
the HTTP pages and takes each to the leader's approval (not timed). The leader is enrolled with a sent-code
credential (a TOTP code allows one signature per 30-second step). Then, per result:

- real path (timed): render the draft from the pack's template and store it (`drafting.draft_for_signing`),
  then `ask_to_sign` and the commit, which runs the Celery task `sign_result` (eagerly, in this process: the
  broker hop is not counted): read the blob, list the credential, CSC token/info/authorize/signHash, RFC 3161
  timestamp, OCSP/CRL, PAdES B-LTA, store the signed blob, warehouse document, moves, outbox rows, commit;
- libraries alone (timed, same run, interleaved): WeasyPrint rendering the same page HTML, then pyHanko
  signing that PDF locally (key in memory, certificate from the same demo CA) as PAdES B-LTA with the same
  TSA and the same revocation fetching.

Checks: every result ends `signed`, its file `returned`, two pages, and validates with `validate_pdf`.
Prints medians, the ratio real / libraries (target ≤ 1.3) and this process's RSS growth over the N results
(the worker's memory; target < 50 MB over 500). --smoke: 3 results, seconds; it proves the bench still runs.
"""

import argparse
import asyncio
import hashlib
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from _common import BENCH_SECRETS, ROOT, Server, clean_up, free_port, header

sys.path.insert(0, str(ROOT))
CLIENT_SECRET = "bench-signing-secret"

LONG_STATUS = "\n".join(
    f"{n}. Theo cơ sở dữ liệu lý lịch tư pháp, không có thông tin về án tích của người được cấp Phiếu trong "
    f"thời gian cư trú tại địa phương thứ {n}; việc tra cứu đã được đối chiếu với hồ sơ lưu trữ."
    for n in range(1, 13)
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait(port: int, process, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            connection.getresponse()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer:\n{log.read_text(errors='replace')[-2000:]}")


def start_signing(folder: Path) -> tuple[list[Server], object]:
    """The demo PKI and the signing service, each a gunicorn process; the PKI on the port its certificates name."""
    from onestop.signing.pki import DemoPki
    from onestop.signing.storage import new_kek

    ports = {"pki": free_port(), "signing": free_port()}
    pki = DemoPki(ROOT / "provinces" / "demo" / "pki" / "ca.yml", folder / "pki", f"http://127.0.0.1:{ports['pki']}")
    env = {
        **os.environ,
        "PKI_CONFIG": str(pki.config_path),
        "PKI_STATE_DIR": str(pki.state_dir),
        "PKI_URL": pki.url_prefix,
        "SIGNING_DATABASE_URL": f"sqlite:///{folder / 'signing.db'}",
        "SIGNING_KEK": new_kek(),
        "SIGNING_CLIENT_SECRET": CLIENT_SECRET,
        "SIGNING_DEMO_CA": "1",
    }
    servers = []
    for name in ("pki", "signing"):
        log = folder / f"gunicorn-{name}.log"
        command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--no-control-socket"]
        command += ["--bind", f"127.0.0.1:{ports[name]}", "--error-logfile", str(log), f"wsgi_{name}:app"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append(Server(name, ports[name], process, log))
        _wait(ports[name], process, log)
    return servers, pki


def build_app(folder: Path, signing_port: int, pki, roots: Path):
    from onestop import create_app
    from onestop.config import TestConfig

    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.db'}",
        BLOB_DIR=str(folder / "blobs"),
        SIGNING_CSC_URL=f"http://127.0.0.1:{signing_port}",
        SIGNING_CLIENT_ID="onestop-portal",
        SIGNING_CLIENT_SECRET=CLIENT_SECRET,
        SIGNING_TSA_URL=pki.tsa_url,
        SIGNING_TRUST_ROOTS=str(roots),
        PUBLIC_URL="http://127.0.0.1",
        RATELIMIT_ENABLED=False,  # one citizen files many applications in a row
        **{key: value for key, value in BENCH_SECRETS.items() if key != "PUBLIC_URL"},
    )
    app = create_app(config)
    from tests.conftest import IsolatedClient

    app.test_client_class = IsolatedClient  # each request in its own context, as in production
    return app


def prepare(app, count: int) -> tuple[list[int], object]:
    """N applications awaiting the leader's approval, and the leader (enrolled with sent codes)."""
    import flask_migrate

    from onestop.accounts.models import Role, User
    from onestop.extensions import db
    from onestop.procedures.models import Application
    from onestop.provinces.models import Agency
    from onestop.provinces.pack import read_pack
    from onestop.provinces.services import apply_pack
    from onestop.signing import client
    from tests.conftest import PASSWORD, login
    from tests.filing import fill_all_steps, pdf_bytes, send, upload
    from tests.office.conftest import act

    flask_migrate.upgrade()
    apply_pack(read_pack(ROOT / "provinces" / "demo"))
    db.session.commit()
    police = db.session.scalar(db.select(Agency).where(Agency.code == "000.00.02.H99"))
    people = {}
    for role, name in ((Role.CLERK, "Đặng Thị Lan"), (Role.SPECIALIST, "Bùi Văn Nam"), (Role.LEADER, "Ngô Thanh Sơn")):
        user = User(full_name=name, email=f"{role}@bench.example", role=role, agency_id=police.id)
        user.province_id = police.province_id
        user.set_password(PASSWORD)
        db.session.add(user)
        people[role] = user
    citizen = User(full_name="Nguyễn Thị Mai", citizen_id="001190012345", email="mai@bench.example", role=Role.CITIZEN)
    citizen.email_confirmed_at = citizen.created_at = None
    from onestop.models import utcnow

    citizen.email_confirmed_at = utcnow()
    citizen.set_password(PASSWORD)
    db.session.add(citizen)
    db.session.commit()
    leader = people[Role.LEADER]
    client.call_service_sync(
        client.settings_from_config(app.config),
        "admin/v1/credentials",
        {
            "userID": f"staff:{leader.id}",
            "agency": police.code,
            "description": leader.full_name,
            "commonName": leader.full_name,
            "organization": "Công an tỉnh Minh Sơn",
            "locality": "Tỉnh Minh Sơn",
            "otp": "oob",
        },
    )
    clients = {}
    for role, user in people.items():
        clients[role] = app.test_client()
        login(clients[role], user.email)
    filer = app.test_client()
    login(filer, citizen.email)
    ids = []
    for _ in range(count):
        application_id = fill_all_steps(filer, fee_category="exempt")
        upload(filer, application_id, "the-can-cuoc", pdf_bytes())
        send(filer, application_id)
        act(clients[Role.CLERK], application_id, "accept")
        act(clients[Role.LEADER], application_id, "assign", {"specialist": people[Role.SPECIALIST].id})
        act(clients[Role.SPECIALIST], application_id, "propose", {"decision": "approve", "note": ""})
        state = db.session.get(Application, application_id).state
        if state != "awaiting_approval":
            sys.exit(f"application {application_id} did not reach the leader: {state}")
        ids.append(application_id)
    return ids, leader.id


def local_signer(pki, folder: Path):
    """A key in memory with a certificate from the same demo CA: what pyHanko signs with locally."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from onestop.signing.pki import issue_certificate

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert, chain = issue_certificate(
        pki,
        label="bench-local",
        common_name="Ngô Thanh Sơn",
        organization="Công an tỉnh Minh Sơn",
        locality="Tỉnh Minh Sơn",
        public_key_pem=public,
    )
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=x509.Certificate.load(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in chain]),
    )


async def sign_locally(pdf: bytes, signer, settings) -> bytes:
    import aiohttp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    async with aiohttp.ClientSession() as session:
        context = ValidationContext(
            trust_roots=list(settings.trust_roots),
            allow_fetching=True,
            revocation_mode="hard-fail",
            fetcher_backend=AIOHttpFetcherBackend(session),
        )
        metadata = signers.PdfSignatureMetadata(
            field_name="Signature1",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True,
            use_pades_lta=True,
            validation_context=context,
        )
        pdf_signer = signers.PdfSigner(metadata, signer, timestamper=HTTPTimeStamper(settings.tsa_url, session=session))
        output = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf), strict=False), output=BytesIO())
        return output.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    count = 3 if args.smoke else args.results
    os.environ.update(BENCH_SECRETS)
    folder = Path(tempfile.mkdtemp(prefix="bench-signing-"))
    servers, pki = start_signing(folder)
    try:
        run(folder, servers, pki, count)
    finally:
        clean_up(servers, folder, args.keep)


def run(folder: Path, servers, pki, count: int) -> None:
    from pypdf import PdfReader
    from weasyprint import HTML

    from onestop.accounts.models import User
    from onestop.extensions import db
    from onestop.procedures.models import Application
    from onestop.results import drafting, render, signing
    from onestop.results.models import SignedDocument
    from onestop.signing import client
    from onestop.signing.validation import validate_pdf

    roots = folder / "root.pem"
    roots.write_bytes(pki.root_certificate_pem())
    app = build_app(folder, servers[1].port, pki, roots)
    print(header())
    with app.app_context():
        ids, leader_id = prepare(app, count + 1)
        settings = client.settings_from_config(app.config)
        local = local_signer(pki, folder)
        real, libraries, rss = [], [], []
        for index, application_id in enumerate(ids):
            leader = db.session.get(User, leader_id)
            application = db.session.get(Application, application_id)
            draft = drafting.draft_for_signing(application, leader)  # the fields as drafted, then corrected:
            draft.fields = {**draft.fields, "record_status": LONG_STATUS}  # two pages
            db.session.commit()
            credential = signing.credential_of(leader, settings)
            code, _seconds = client.request_code(credential, leader.agency.code, settings)

            started = time.perf_counter()
            application = db.session.get(Application, application_id)
            leader = db.session.get(User, leader_id)
            draft = drafting._render_and_store(application, drafting.draft_of(application), leader)
            signing.ask_to_sign(application, leader, code, draft.pdf_sha256, application.row_version)
            db.session.commit()  # the task runs here (eager)
            elapsed = time.perf_counter() - started

            page = drafting.page_for(application, draft)
            started = time.perf_counter()
            fetcher, sheet, fonts = render._printer._tools()  # the same fonts and sheet, then WeasyPrint itself
            pdf = HTML(string=render.page_html(page), base_url=f"{render.FRAME_DIR}/", url_fetcher=fetcher).write_pdf(
                stylesheets=[sheet], font_config=fonts
            )
            asyncio.run(sign_locally(pdf, local, settings))
            baseline = time.perf_counter() - started

            db.session.expire_all()
            signed = db.session.get(
                SignedDocument, drafting.draft_of(db.session.get(Application, application_id)).signed_document_id
            )
            if signed.state != "signed" or db.session.get(Application, application_id).state != "returned":
                sys.exit(f"application {application_id}: {signed.state} {signed.failure}")
            from onestop.datastore.services import read_blob

            signed_pdf = read_blob(signed.blob_sha256)
            if len(PdfReader(BytesIO(signed_pdf)).pages) != 2:
                sys.exit("the result is not two pages long")
            if not validate_pdf(signed_pdf, settings.trust_roots).is_genuine:
                sys.exit("a signed result does not validate")
            if index == 0:  # warm-up: fonts, TLS-free sessions, imports
                rss.append(rss_mb())
                continue
            real.append(elapsed)
            libraries.append(baseline)
            db.session.remove()
        rss.append(rss_mb())
    real_ms, lib_ms = statistics.median(real) * 1000, statistics.median(libraries) * 1000
    last = hashlib.sha256(signed_pdf).hexdigest()[:12]
    print(f"results signed: {len(real)} (+1 warm-up), two pages each, PAdES B-LTA, validated (last {last}…)")
    print(f"real path (render + task): median {real_ms:.0f} ms, max {max(real) * 1000:.0f} ms")
    print(f"libraries alone (WeasyPrint + local pyHanko): median {lib_ms:.0f} ms, max {max(libraries) * 1000:.0f} ms")
    print(f"ratio real / libraries: {real_ms / lib_ms:.2f} (target <= 1.3)")
    growth = rss[-1] - rss[0]
    print(
        f"worker RSS: {rss[0]:.0f} MB after the warm-up, {rss[-1]:.0f} MB after {len(real)} results (+{growth:.1f} MB)"
    )


if __name__ == "__main__":
    main()
