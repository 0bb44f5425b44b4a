"""Malware scanning of uploads by ClamAV's daemon (clamd), spoken to directly over its socket.

The INSTREAM protocol is a few lines, so no client library is needed: the file is sent in chunks,
each prefixed by its length as 4 big-endian bytes, ended by a zero length; clamd answers
`stream: OK` or `stream: <signature> FOUND`.
"""

import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

from onestop.datastore.backends.base import iter_chunks

# A reply longer than this is not one clamd would send to INSTREAM.
_MAX_REPLY = 4096


class ScannerUnavailable(Exception):
    """The scanner could not give a verdict (down, too slow, or an error reply): the file is unchecked."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str | None = None


class Scanner(Protocol):
    def scan(self, stream: BinaryIO) -> ScanResult:
        """Scan the stream from its current position to its end; raise ScannerUnavailable without a verdict."""
        ...


class ClamdScanner:
    """A clamd reached at a unix socket path or at "tcp://host:port"."""

    def __init__(self, address: str, timeout: float = 30.0):
        self.address = address
        self.timeout = timeout
        self.tcp_address = parse_tcp_address(address) if address.startswith("tcp://") else None

    def scan(self, stream: BinaryIO) -> ScanResult:
        with self._connect() as connection:
            connection.send_all(b"zINSTREAM\0")
            for chunk in iter_chunks(stream):
                connection.send_all(struct.pack("!I", len(chunk)) + chunk)
            connection.send_all(struct.pack("!I", 0))
            reply = connection.reply()
        return _verdict(reply)

    def ping(self) -> bool:
        """Whether clamd answers; for health checks and for waiting until it has started."""
        try:
            with self._connect() as connection:
                connection.send_all(b"zPING\0")
                return connection.reply() == "PONG"
        except ScannerUnavailable:
            return False

    def _connect(self) -> "_Connection":
        try:
            if self.tcp_address:
                sock = socket.create_connection(self.tcp_address, timeout=self.timeout)
            else:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self.timeout)
                try:
                    sock.connect(self.address)
                except OSError:
                    sock.close()
                    raise
        except OSError as error:
            raise ScannerUnavailable(f"cannot reach clamd at {self.address}: {error}") from error
        return _Connection(sock, self.address)


class _Connection:
    """One clamd conversation; every socket failure or timeout becomes ScannerUnavailable."""

    def __init__(self, sock: socket.socket, address: str):
        self._sock = sock
        self._address = address

    def __enter__(self) -> "_Connection":
        return self

    def __exit__(self, *exc_info) -> None:
        self._sock.close()

    def send_all(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as error:
            # clamd closes the connection after an error reply (e.g. the stream size limit): show it.
            raise ScannerUnavailable(f"clamd at {self._address} stopped reading: {self._early_reply(error)}") from error

    def reply(self) -> str:
        """The reply up to its terminating NUL, without the NUL."""
        received = b""
        try:
            while b"\0" not in received and len(received) < _MAX_REPLY:
                data = self._sock.recv(_MAX_REPLY)
                if not data:
                    break
                received += data
        except OSError as error:
            raise ScannerUnavailable(f"no reply from clamd at {self._address}: {error}") from error
        return received.split(b"\0", 1)[0].decode("utf-8", "replace").strip()

    def _early_reply(self, error: OSError) -> str:
        try:
            self._sock.settimeout(1)
            return self.reply() or str(error)
        except ScannerUnavailable:
            return str(error)


def _verdict(reply: str) -> ScanResult:
    if reply == "stream: OK":
        return ScanResult(clean=True)
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return ScanResult(clean=False, signature=reply.removeprefix("stream: ").removesuffix(" FOUND"))
    raise ScannerUnavailable(f"clamd answered: {reply or '(nothing)'}")


def parse_tcp_address(address: str) -> tuple[str, int]:
    """("host", port) from "tcp://host:port" (an IPv6 host in brackets); refuse anything less."""
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ValueError(f"clamd address must be a socket path or tcp://host:port, not {address!r}")
    return parts.hostname, port


def scanner_from_config(config: Mapping) -> Scanner | None:
    """The configured clamd, or None when CLAMD_SOCKET is empty (no scanning)."""
    address = config.get("CLAMD_SOCKET") or ""
    if not address:
        return None
    return ClamdScanner(address, timeout=float(config.get("CLAMD_TIMEOUT", 30)))
