"""Page weight: the bytes the heaviest citizen pages take over the wire, uncompressed, gzip and brotli.

    .venv/bin/python bench/page_weight.py [--keep] [--smoke]

It builds a temporary SQLite database with the real commands (`flask --app wsgi db upgrade`,
`flask --app wsgi province load provinces/demo`), makes two citizens with a complete draft of the
criminal record certificate (bench/filing_setup.py), starts the real app under gunicorn, signs both in
over HTTP, uploads the ID card and submits the first draft as a browser would, then asks each page
three times with the first citizen's cookies (the filing step with the second's): with
`Accept-Encoding: identity`, `gzip` and `br`, and counts the body bytes that arrive (http.client does
not decode them). Each compressed body is decoded and must be the same page. Before issue 13 item 14
every page went out as the "identity" column. The run takes a few seconds, so --smoke is the same run.
See docs/benchmarks.md.
"""

import argparse
import gzip
import http.client
import re
import sys
import tempfile
import time
from pathlib import Path

import brotli
import requests
from _common import UNLIMITED, Server, clean_up, header, run_flask, server_env, start_server, wait_until_answering
from filing import CLEARED_SETTINGS, Filing, PdfTemplate, prepare_citizens, sign_in

PROVINCE_CODE = "MS"
SLUG = "cap-phieu-ly-lich-tu-phap"
DECODE = {"identity": lambda body: body, "gzip": gzip.decompress, "br": brotli.decompress}
# A CSRF token is signed with the second it was made in: two fetches of a form may differ there only.
_VOLATILE = re.compile(rb'(name="csrf_token"(?: type="hidden")? value=")[^"]+')


def fetch(port: int, path: str, cookies: requests.cookies.RequestsCookieJar, encoding: str) -> tuple[int, bytes, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = "; ".join(f"{c.name}={c.value}" for c in cookies)
    connection.request("GET", path, headers={"Accept-Encoding": encoding, "Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, response.getheader("Content-Encoding") or "identity"


def measure(port: int, name: str, path: str, cookies) -> tuple[dict[str, int], list[str]]:
    sizes, problems, pages = {}, [], {}
    for encoding in DECODE:
        status, body, sent_as = fetch(port, path, cookies, encoding)
        if status != 200 or sent_as != encoding:
            problems.append(f"{name} {path}: HTTP {status}, Content-Encoding {sent_as} for {encoding}")
            continue
        sizes[encoding] = len(body)
        pages[encoding] = _VOLATILE.sub(rb"\1", DECODE[encoding](body))
    if len(set(pages.values())) > 1:
        problems.append(f"{name} {path}: a compressed body does not decode to the page")
    return sizes, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, blobs, logs)")
    parser.add_argument("--smoke", action="store_true", help="the same run: it already takes seconds")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-weight-"))
    servers: list[Server] = []
    try:
        env = server_env(
            folder,
            CLEARED_SETTINGS,
            DATABASE_URL=f"sqlite:///{folder / 'weight.db'}",
            PROVINCE=PROVINCE_CODE,
            LOGIN_RATE_LIMIT=UNLIMITED,
            UPLOAD_RATE_LIMIT=UNLIMITED,
            CELERY_BROKER_URL="memory://",
        )
        for name in ("var", "blobs"):
            (folder / name).mkdir()
        print(header())
        started = time.perf_counter()
        run_flask(env, "db", "upgrade")
        run_flask(env, "province", "load", "provinces/demo")
        citizens, password, document_type = prepare_citizens(env, 2)
        server = start_server("onestop", "wsgi:app", env, folder, ["--workers", "1", "--threads", "2"])
        servers = [server]
        wait_until_answering(server, "/healthz")
        base = f"http://127.0.0.1:{server.port}"
        failures = sign_in(base, citizens, password, 1)
        filer, drafter = citizens
        with requests.Session() as session:
            problem = Filing(base, [filer], document_type, PdfTemplate.build(200 * 1024), "weight")(session, 0)
        if failures or problem:
            print("\nFAILURES:", *failures, problem or "", sep="\n  ")
            return 1
        seconds = time.perf_counter() - started
        print(f"Demo province, one citizen with a submitted application, ready in {seconds:.1f} s")

        stylesheet = re.search(r'href="(/static/css/site\.css[^"]*)"', requests.get(base + "/", timeout=60).text)[1]
        pages = [
            ("home", "/", None),
            ("catalogue", "/procedures", None),
            ("catalogue search", "/procedures?q=khai+sinh", None),
            ("procedure page", f"/procedures/{SLUG}", None),
            ("filing step", f"/applications/{drafter.application}/steps/applicant", drafter.cookies),
            ("timeline", f"/applications/{filer.application}", filer.cookies),
            ("warehouse", "/warehouse", filer.cookies),
            ("stylesheet", stylesheet.replace("&amp;", "&"), None),
        ]
        print(f"\n{'page':<18} {'identity B':>11} {'gzip B':>8} {'br B':>8} {'br/identity':>12}  path")
        problems: list[str] = []
        for name, path, cookies in pages:
            sizes, found = measure(server.port, name, path, cookies or requests.cookies.RequestsCookieJar())
            problems += found
            if len(sizes) == len(DECODE):
                print(
                    f"{name:<18} {sizes['identity']:>11,} {sizes['gzip']:>8,} {sizes['br']:>8,} "
                    f"{sizes['br'] / sizes['identity']:>11.0%}  {path}"
                )
        if problems:
            print("\nFAILURES:", *problems, sep="\n  ")
            return 1
        print("\nEvery page answered 200 in each encoding, and each compressed body decoded to the same page.")
        return 0
    finally:
        clean_up(servers, folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
