"""Malware scanning against a real clamd whose one signature is a marker these tests plant in files."""

import io
import socket

import pytest

from onestop.datastore.scanning import ClamdScanner, ScannerUnavailable, parse_tcp_address, scanner_from_config
from onestop.datastore.uploads import UploadRejected, receive_upload
from tests.datastore.conftest import CLAMD_STREAM_MAX, MALWARE_MARKER, SIGNATURE_NAME, image_bytes, pdf_bytes

LIMIT = 10 * 1024 * 1024


def stored_count(storage) -> int:
    # Staging files count too: an upload is written where the store keeps it, and a refused one is removed.
    return sum(1 for path in storage.root.rglob("*") if path.is_file())


def test_a_clean_pdf_passes_the_scan_and_is_stored(clamd, local_storage):
    data = pdf_bytes()

    received = receive_upload(io.BytesIO(data), "to-khai.pdf", local_storage, max_bytes=LIMIT, scanner=clamd.scanner())

    assert local_storage.exists(received.sha256)


def test_the_scanner_names_the_signature_found(clamd):
    result = clamd.scanner().scan(io.BytesIO(b"some text " + MALWARE_MARKER + b" more text"))

    assert not result.clean
    assert result.signature.startswith(SIGNATURE_NAME)


def test_a_clean_stream_is_reported_clean(clamd):
    result = clamd.scanner().scan(io.BytesIO(b"an ordinary letter\n" * 10_000))

    assert result.clean and result.signature is None


@pytest.mark.parametrize(
    ("data", "filename"),
    [(pdf_bytes(attachment=MALWARE_MARKER), "giay-to.pdf"), (image_bytes("PNG", MALWARE_MARKER.decode()), "anh.png")],
    ids=["pdf", "png"],
)
def test_an_infected_file_is_refused_and_not_stored(clamd, local_storage, data, filename):
    assert MALWARE_MARKER in data

    with pytest.raises(UploadRejected) as caught:
        receive_upload(io.BytesIO(data), filename, local_storage, max_bytes=LIMIT, scanner=clamd.scanner())

    assert caught.value.reason == "infected"
    assert caught.value.detail.startswith(SIGNATURE_NAME)
    assert "vi-rút" in caught.value.message  # the Vietnamese message, as citizens read it
    assert stored_count(local_storage) == 0


def test_a_scanner_that_cannot_be_reached_refuses_the_upload(tmp_path, local_storage):
    scanner = ClamdScanner(str(tmp_path / "no-such-clamd.sock"), timeout=2)

    with pytest.raises(UploadRejected) as caught:
        receive_upload(io.BytesIO(pdf_bytes()), "to-khai.pdf", local_storage, max_bytes=LIMIT, scanner=scanner)

    assert caught.value.reason == "scanner_unavailable"
    assert "thử lại" in caught.value.message
    assert stored_count(local_storage) == 0
    assert not scanner.ping()


def test_a_scanner_that_does_not_answer_in_time_is_unavailable(tmp_path):
    path = str(tmp_path / "silent.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(path)
        silent.listen(1)  # connections queue but nobody ever reads or answers

        with pytest.raises(ScannerUnavailable):
            ClamdScanner(path, timeout=0.5).scan(io.BytesIO(b"hello"))


def test_an_error_reply_makes_the_scanner_unavailable(clamd):
    too_long = io.BytesIO(b"\0" * (CLAMD_STREAM_MAX + 1024 * 1024))

    with pytest.raises(ScannerUnavailable, match=r"(?i)size limit|stopped reading"):
        clamd.scanner().scan(too_long)


def test_the_tcp_address_form_is_parsed():
    assert parse_tcp_address("tcp://clamav.internal:3310") == ("clamav.internal", 3310)
    assert parse_tcp_address("tcp://[::1]:3310") == ("::1", 3310)
    assert ClamdScanner("tcp://127.0.0.1:3310").tcp_address == ("127.0.0.1", 3310)
    assert ClamdScanner("/run/clamav/clamd.ctl").tcp_address is None
    for bad in ("tcp://clamav.internal", "tcp://:3310", "tcp://host:port", "tcp://host:3310/x"):
        with pytest.raises(ValueError):
            parse_tcp_address(bad)


def test_clamd_is_reached_over_tcp_too(clamd):
    scanner = ClamdScanner(clamd.tcp_address, timeout=10)

    assert scanner.ping()
    assert scanner.scan(io.BytesIO(MALWARE_MARKER)).signature.startswith(SIGNATURE_NAME)


def test_the_scanner_comes_from_the_config():
    assert scanner_from_config({"CLAMD_SOCKET": ""}) is None
    scanner = scanner_from_config({"CLAMD_SOCKET": "tcp://127.0.0.1:3310", "CLAMD_TIMEOUT": 5})
    assert isinstance(scanner, ClamdScanner)
    assert (scanner.tcp_address, scanner.timeout) == (("127.0.0.1", 3310), 5.0)
