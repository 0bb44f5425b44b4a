"""The blob storage contract.

Blobs are addressed by the SHA-256 of their bytes, so a document uploaded twice (or by two procedures)
is kept once and a stored blob can never change under a reference to it.
"""

import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, Protocol

# Streams are read in pieces of this size so a large upload never sits in memory whole.
CHUNK_SIZE = 64 * 1024

_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(Exception):
    """No blob with this digest is stored."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


class StagedBlob:
    """Bytes on their way into the store, hashed as they are written.

    An upload is written once, into the file the backend will keep, and checked there: no second
    copy to hash it, no third to store it. `file` can be read back (seek first) for the checks.
    """

    def __init__(self, file: BinaryIO, path: str | None = None):
        self.file = file
        self.path = path  # Where the file is, for a backend that keeps it by renaming it.
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self._digest.update(chunk)
        self.size += len(chunk)
        return self.file.write(chunk)

    @property
    def blob(self) -> StoredBlob:
        return StoredBlob(sha256=self._digest.hexdigest(), size=self.size)


class BlobStorage(Protocol):
    def put(self, stream: BinaryIO) -> StoredBlob:
        """Store the stream's bytes once, read in chunks; storing bytes already held writes nothing."""
        ...

    def staging(self) -> AbstractContextManager[StagedBlob]:
        """A StagedBlob to write into; its bytes are discarded on leaving unless `keep` stored them."""
        ...

    def keep(self, staged: StagedBlob) -> StoredBlob:
        """Store what was written into `staged` (once, as `put` does) and return its digest and size."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable binary stream of the blob; raises BlobNotFound if it is not stored."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Remove the blob; deleting a blob that is not stored is not an error."""
        ...


def checked_sha256(sha256: str) -> str:
    """Refuse anything but 64 lowercase hex digits: digests end up in file paths and object keys."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def iter_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes in CHUNK_SIZE pieces, until it is exhausted."""
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def put_by_staging(storage: BlobStorage, stream: BinaryIO) -> StoredBlob:
    """`put` for any backend: stage the stream's bytes, then keep them."""
    with storage.staging() as staged:
        for chunk in iter_chunks(stream):
            staged.write(chunk)
        return storage.keep(staged)


def storage_from_config(config: Mapping) -> BlobStorage:
    """The backend named by STORAGE_BACKEND: "local" (under BLOB_DIR, the default) or "s3"."""
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "local":
        from onestop.datastore.backends.local import LocalStorage

        return LocalStorage(config["BLOB_DIR"])
    if backend == "s3":
        from onestop.datastore.backends.s3 import S3Storage

        return S3Storage(
            bucket=config["S3_BUCKET"],
            endpoint_url=config.get("S3_ENDPOINT_URL", ""),
            region=config.get("S3_REGION", "us-east-1"),
            access_key=config.get("S3_ACCESS_KEY_ID", ""),
            secret_key=config.get("S3_SECRET_ACCESS_KEY", ""),
        )
    raise ValueError(f"unknown STORAGE_BACKEND {backend!r}: use 'local' or 's3'")
