"""Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, a provincial cloud)."""

import contextlib
import io
import tempfile
from collections.abc import Iterator
from functools import cached_property
from typing import BinaryIO

import boto3
from botocore.client import BaseClient
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from onestop.datastore.backends.base import (
    CHUNK_SIZE,
    BlobNotFound,
    StagedBlob,
    StoredBlob,
    checked_sha256,
    put_by_staging,
)

# The digest is only known once every byte is read, so the upload waits in a spool: small files stay
# in memory, larger ones go to a temporary file.
SPOOL_MAX_SIZE = 1024 * 1024

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """Content-addressed objects under `prefix` in one bucket.

    No client or connection is made until the first call, so importing or configuring the storage
    works without the object store. Empty keys leave boto3 to its usual credential chain.
    """

    def __init__(
        self,
        bucket: str,
        endpoint_url: str,
        region: str,
        access_key: str,
        secret_key: str,
        prefix: str = "blobs/",
    ):
        if not bucket:
            raise ValueError("S3 storage needs a bucket: set S3_BUCKET")
        self.bucket = bucket
        self.prefix = prefix
        self._endpoint_url = endpoint_url or None
        self._region = region or None
        self._access_key = access_key or None
        self._secret_key = secret_key or None

    @cached_property
    def client(self) -> BaseClient:
        return boto3.client(
            "s3",
            endpoint_url=self._endpoint_url,
            region_name=self._region,
            aws_access_key_id=self._access_key,
            aws_secret_access_key=self._secret_key,
            # Object stores answer 500 or 503 ("slow down") under load and expect the client to retry
            # with backoff; the legacy default gives up after two retries.
            config=BotoConfig(retries={"mode": "standard", "max_attempts": 8}),
        )

    def key(self, sha256: str) -> str:
        return self.prefix + checked_sha256(sha256)

    def put(self, stream: BinaryIO) -> StoredBlob:
        return put_by_staging(self, stream)

    @contextlib.contextmanager
    def staging(self) -> Iterator[StagedBlob]:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE) as spool:
            yield StagedBlob(spool)

    def keep(self, staged: StagedBlob) -> StoredBlob:
        blob = staged.blob
        # Two uploads of the same bytes at once may both upload: harmless, the object is identical.
        if not self.exists(blob.sha256):
            staged.file.seek(0)
            self.client.upload_fileobj(
                staged.file, self.bucket, self.key(blob.sha256), ExtraArgs={"ContentType": "application/octet-stream"}
            )
        return blob

    def open(self, sha256: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _is_missing(error):
                raise BlobNotFound(sha256) from None
            raise
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=CHUNK_SIZE)

    def exists(self, sha256: str) -> bool:
        # S3 answers 404 for a missing key only to credentials allowed to list the bucket (s3:ListBucket);
        # without that right it answers 403, which is raised here rather than taken for "missing".
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING


class _BodyReader(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so callers get an ordinary buffered binary file."""

    def __init__(self, body):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
