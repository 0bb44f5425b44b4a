"""Blobs as files on a local disk: root/ab/cd/<sha256>."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from onestop.datastore.backends.base import BlobNotFound, StagedBlob, StoredBlob, checked_sha256, put_by_staging


class LocalStorage:
    """Content-addressed files under one directory.

    Bytes are written to a temporary file inside the root (same filesystem) while they are hashed,
    flushed to disk, then renamed into place: a reader never sees half a blob, and two uploads of the
    same bytes at once both end with the same complete file.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self._incoming = self.root / ".incoming"

    def path(self, sha256: str) -> Path:
        """Where the blob lives; two levels of fan-out keep directories small."""
        checked_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, stream: BinaryIO) -> StoredBlob:
        return put_by_staging(self, stream)

    @contextlib.contextmanager
    def staging(self) -> Iterator[StagedBlob]:
        self._incoming.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=self._incoming)
        try:
            with os.fdopen(fd, "w+b") as temp:
                yield StagedBlob(temp, temp_name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)

    def keep(self, staged: StagedBlob) -> StoredBlob:
        staged.file.flush()
        os.fsync(staged.file.fileno())
        blob = staged.blob
        target = self.path(blob.sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, target)
            _fsync_directory(target.parent)
        return blob

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry itself reaches the disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
