"""One contract for every blob storage backend: local disk, and S3 against a real S3-compatible server."""

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from onestop.datastore.backends import BlobNotFound, LocalStorage, StoredBlob, storage_from_config
from onestop.datastore.backends.s3 import S3Storage

TWELVE_MB = 12 * 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


def stored_names(storage) -> list[str]:
    """Every object the backend holds, looked at from outside the storage class."""
    if isinstance(storage, LocalStorage):
        return sorted(
            os.path.relpath(os.path.join(directory, name), storage.root)
            for directory, _subdirectories, names in os.walk(storage.root)
            for name in names
        )
    listing = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


class WriteCounter:
    """Counts writes of blob objects: renames into place (local) or upload requests (S3)."""

    def __init__(self, storage, monkeypatch):
        self.count = 0
        if isinstance(storage, LocalStorage):
            real_replace = os.replace

            def counting_replace(*args, **kwargs):
                self.count += 1
                return real_replace(*args, **kwargs)

            monkeypatch.setattr(os, "replace", counting_replace)
        else:
            for operation in ("PutObject", "CreateMultipartUpload", "CopyObject"):
                storage.client.meta.events.register(f"before-call.s3.{operation}", self._count)

    def _count(self, **kwargs):
        self.count += 1


def test_round_trip_keeps_every_byte(storage):
    data = b"Gi\xe1\xba\xa5y khai sinh\x00\xff" * 1000

    blob = storage.put(io.BytesIO(data))

    with storage.open(blob.sha256) as stream:
        assert stream.read() == data
    assert blob == StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    assert storage.exists(blob.sha256)


def test_identical_bytes_are_stored_once(storage, monkeypatch):
    data = b"the same scanned identity card"
    first = storage.put(io.BytesIO(data))
    writes = WriteCounter(storage, monkeypatch)

    second = storage.put(io.BytesIO(data))

    assert second == first
    assert writes.count == 0
    assert len(stored_names(storage)) == 1


def test_concurrent_puts_of_the_same_bytes_leave_one_complete_blob(storage):
    data = os.urandom(3 * 1024 * 1024)

    with ThreadPoolExecutor(max_workers=6) as pool:
        blobs = set(pool.map(lambda _: storage.put(io.BytesIO(data)), range(6)))

    assert blobs == {StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data))}
    assert len(stored_names(storage)) == 1
    with storage.open(blobs.pop().sha256) as stream:
        assert stream.read() == data


def test_different_bytes_are_different_blobs(storage):
    one = storage.put(io.BytesIO(b"one"))
    two = storage.put(io.BytesIO(b"two"))

    assert one.sha256 != two.sha256
    assert len(stored_names(storage)) == 2


def test_an_empty_stream_is_a_blob_too(storage):
    blob = storage.put(io.BytesIO(b""))

    assert blob == StoredBlob(sha256=hashlib.sha256(b"").hexdigest(), size=0)
    with storage.open(blob.sha256) as stream:
        assert stream.read() == b""


def test_opening_a_missing_blob_raises_blob_not_found(storage):
    missing = hashlib.sha256(b"never stored").hexdigest()

    with pytest.raises(BlobNotFound):
        storage.open(missing)
    assert not storage.exists(missing)


def test_delete_removes_the_blob_and_is_idempotent(storage):
    blob = storage.put(io.BytesIO(b"withdrawn document"))

    storage.delete(blob.sha256)
    storage.delete(blob.sha256)

    assert not storage.exists(blob.sha256)
    with pytest.raises(BlobNotFound):
        storage.open(blob.sha256)
    assert stored_names(storage) == []


def test_a_12_mb_blob_round_trips_in_chunks(storage):
    data = os.urandom(TWELVE_MB)

    blob = storage.put(io.BytesIO(data))

    assert blob == StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=TWELVE_MB)
    digest = hashlib.sha256()
    size = 0
    with storage.open(blob.sha256) as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    assert (digest.hexdigest(), size) == (blob.sha256, TWELVE_MB)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../../etc/passwd",
        "A" * 64,
        hashlib.sha256(b"x").hexdigest().upper(),
        hashlib.sha256(b"x").hexdigest()[:63],
        hashlib.sha256(b"x").hexdigest() + "0",
        hashlib.sha256(b"x").hexdigest()[:62] + "/a",
        hashlib.sha256(b"x").hexdigest() + "\n",
    ],
)
def test_an_invalid_sha256_is_refused_before_use(storage, bad):
    for operation in (storage.open, storage.exists, storage.delete):
        with pytest.raises(ValueError, match="SHA-256"):
            operation(bad)


def test_local_blobs_are_fanned_out_and_no_temporary_file_is_left(local_storage):
    blob = local_storage.put(io.BytesIO(b"fan out"))

    sha = blob.sha256
    assert stored_names(local_storage) == [os.path.join(sha[:2], sha[2:4], sha)]


def test_a_storage_is_made_from_the_config(tmp_path, s3_endpoint):
    local = storage_from_config({"BLOB_DIR": str(tmp_path)})
    s3 = storage_from_config(
        {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": "onestop-config-test",
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "testing",
            "S3_SECRET_ACCESS_KEY": "testing",
        }
    )

    assert isinstance(local, LocalStorage) and local.root == tmp_path
    assert isinstance(s3, S3Storage) and s3.bucket == "onestop-config-test"
    with pytest.raises(ValueError, match="STORAGE_BACKEND"):
        storage_from_config({"STORAGE_BACKEND": "ftp", "BLOB_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="S3_BUCKET"):
        storage_from_config({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""})
