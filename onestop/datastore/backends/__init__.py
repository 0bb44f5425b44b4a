"""Where blob bytes live: a local directory or an S3-compatible bucket, behind `BlobStorage`.

The S3 backend is imported only when configured, so installations on local disk never load boto3.
"""

from onestop.datastore.backends.base import BlobNotFound, BlobStorage, StoredBlob, storage_from_config
from onestop.datastore.backends.local import LocalStorage

__all__ = ["BlobNotFound", "BlobStorage", "LocalStorage", "StoredBlob", "storage_from_config"]
