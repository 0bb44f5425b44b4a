"""Real services for the data warehouse tests: an S3 server (moto in server mode) and a clamd with
its own one-signature database, each started once per session, plus small real documents.
"""

import io
import os
import socket
import struct
import subprocess
import time
import uuid
import zipfile
import zlib

import boto3
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from onestop.datastore.backends.local import LocalStorage
from onestop.datastore.backends.s3 import S3Storage
from onestop.datastore.scanning import ClamdScanner

CLAMD = "/usr/sbin/clamd"
# clamd knows no malware here: its only signature matches these bytes anywhere in a file.
MALWARE_MARKER = b"ONESTOP-MALWARE-TEST-SIGNATURE-7f3a"
SIGNATURE_NAME = "OnestopTestSignature"
CLAMD_START_TIMEOUT = 60
# Small, so a test can cross it; the uploads accepted in tests are far below it.
CLAMD_STREAM_MAX = 2 * 1024 * 1024
S3_KEY = "testing"


# --- documents ---------------------------------------------------------------------------------


def pdf_bytes(attachment: bytes | None = None) -> bytes:
    """A one-page blank PDF, optionally carrying a file attachment (the way malware often rides in PDFs)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if attachment is not None:
        writer.add_attachment("payload.bin", attachment)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_object(value):
    """A pypdf object from plain Python: dicts with "/Name" keys, lists, "/Name" strings, numbers, text."""
    if isinstance(value, dict):
        return DictionaryObject({NameObject(key): pdf_object(item) for key, item in value.items()})
    if isinstance(value, list):
        return ArrayObject(pdf_object(item) for item in value)
    if isinstance(value, int):
        return NumberObject(value)
    if value.startswith("/"):
        return NameObject(value)
    return TextStringObject(value)


def pdf_with(root: dict | None = None, page: dict | None = None, title: str | None = None) -> bytes:
    """A one-page PDF with extra entries in its catalogue, its page or its /Info title."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for key, value in (root or {}).items():
        writer.root_object[NameObject(key)] = pdf_object(value)
    for key, value in (page or {}).items():
        writer.pages[0][NameObject(key)] = pdf_object(value)
    if title is not None:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.js", "alert(document.cookie)")
    return out.getvalue()


def png_of_size(width: int, height: int) -> bytes:
    """A real grey PNG of that many pixels, made row by row so a 100-megapixel one costs little memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte, then one byte per pixel
    rows_per_feed = max(1, 4_000_000 // len(row))
    pixels = b"".join(
        packer.compress(row * min(rows_per_feed, height - done)) for done in range(0, height, rows_per_feed)
    )
    pixels += packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg_with_segment(segment: bytes, **options) -> bytes:
    """A real JPEG with a comment segment (COM) holding `segment` right after its start marker."""
    plain = image_bytes("JPEG", **options)
    return plain[:2] + b"\xff\xfe" + struct.pack(">H", len(segment) + 2) + segment + plain[2:]


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(image_format: str, text: str | None = None, **options) -> bytes:
    """A small real image ("PNG" or "JPEG"); for PNG, `text` is kept in a tEXt chunk; `options` go to Pillow."""
    out = io.BytesIO()
    if text:
        info = PngInfo()
        info.add_text("Comment", text)
        options["pnginfo"] = info
    Image.new("RGB", (32, 24), (200, 30, 40)).save(out, format=image_format, **options)
    return out.getvalue()


# --- storage -------------------------------------------------------------------------------------


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "blobs")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a real S3-compatible server for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_endpoint) -> S3Storage:
    """Storage in a bucket of its own, so tests never see each other's objects."""
    bucket = f"onestop-test-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id=S3_KEY, aws_secret_access_key=S3_KEY
    ).create_bucket(Bucket=bucket)
    return S3Storage(bucket, s3_endpoint, "us-east-1", S3_KEY, S3_KEY)


# --- clamd ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clamd:
    def __init__(self, socket_path: str, tcp_address: str, log_path: str, startup_seconds: float):
        self.socket_path = socket_path
        self.tcp_address = tcp_address
        self.log_path = log_path
        self.startup_seconds = startup_seconds

    def scanner(self, timeout: float = 10.0) -> ClamdScanner:
        return ClamdScanner(self.socket_path, timeout=timeout)


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """A real clamd whose only signature is MALWARE_MARKER, listening on a unix socket and on TCP."""
    if not os.path.exists(CLAMD):
        message = f"{CLAMD} is missing: install Debian's clamav-daemon (`make system-deps`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    home = tmp_path_factory.mktemp("clamd")
    database = home / "db"
    database.mkdir()
    (database / "test.ndb").write_text(f"{SIGNATURE_NAME}:0:*:{MALWARE_MARKER.hex()}\n")
    socket_path = home / "clamd.sock"
    port = _free_port()
    config = home / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"DatabaseDirectory {database}",
                f"LocalSocket {socket_path}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                "Foreground yes",
                f"PidFile {home / 'clamd.pid'}",
                f"TemporaryDirectory {home}",
                f"LogFile {home / 'clamd.log'}",
                f"StreamMaxLength {CLAMD_STREAM_MAX}",
                "",
            ]
        )
    )
    started = time.monotonic()
    with open(home / "clamd.out", "wb") as output:
        process = subprocess.Popen([CLAMD, "-c", str(config)], stdout=output, stderr=subprocess.STDOUT)
    try:
        probe = ClamdScanner(str(socket_path), timeout=2)
        while not probe.ping():
            if process.poll() is not None:
                pytest.fail(f"clamd exited with {process.returncode}: {(home / 'clamd.out').read_text()[-2000:]}")
            if time.monotonic() - started > CLAMD_START_TIMEOUT:
                pytest.fail(f"clamd did not answer PING within {CLAMD_START_TIMEOUT} s")
            time.sleep(0.1)
        yield Clamd(str(socket_path), f"tcp://127.0.0.1:{port}", str(home / "clamd.log"), time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
