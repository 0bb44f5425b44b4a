"""Checks every uploaded file passes before its bytes are stored.

The type is read from the content, never from the name or the browser's claim; PDFs and images are
opened to prove they are what they say, images no larger than a pixel cap read from their header; the
scanner, when configured, must say the file is clean; a PDF must carry no active content (JavaScript,
launch actions, attached files, Flash, XFA forms) and no file may hide a second one (a web page, an
archive, data after its end). Refused, not cleaned: see docs/operations.md, "Uploads". Nothing is
stored until every check has passed, and a file that could not be scanned is refused.
"""

import enum
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from flask import Request, current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image
from pypdf import PdfReader

from onestop.datastore import inspection
from onestop.datastore.backends.base import CHUNK_SIZE, BlobStorage
from onestop.datastore.scanning import Scanner, ScannerUnavailable
from onestop.errors import InvalidInput

FILENAME_MAX_LENGTH = 200
# What a name's last dot may start: an extension (letters and digits, at least one letter, as in ".exe"),
# not a part of a date or a version ("27.3.2020", "v1.2").
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{0,9}[A-Za-z][A-Za-z0-9]{0,9}")

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

_MAGIC = [(b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG)]
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
# Extensions a citizen's name may keep because they mean the detected type (".JPG", ".jpeg").
_SAME_TYPE_EXTENSIONS = {PDF: {".pdf"}, JPEG: {".jpg", ".jpeg", ".jpe"}, PNG: {".png"}}
_INSPECTED_KINDS = {PDF: "pdf", JPEG: "jpeg", PNG: "png"}


class RejectionReason(enum.StrEnum):
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    TYPE = "type"
    ENCRYPTED_PDF = "encrypted_pdf"
    MALFORMED_PDF = "malformed_pdf"
    MALFORMED_IMAGE = "malformed_image"
    INFECTED = "infected"
    SCANNER_UNAVAILABLE = "scanner_unavailable"
    TOO_MANY_PIXELS = "too_many_pixels"
    ACTIVE_PDF = "active_pdf"
    HIDDEN_CONTENT = "hidden_content"


def _found_names() -> dict[str, str]:
    """What inspection found, in the citizen's words."""
    return {
        inspection.JAVASCRIPT: _("JavaScript (a program)"),
        inspection.LAUNCH: _("a command that starts a program"),
        inspection.EMBEDDED_FILES: _("files attached inside it"),
        inspection.RICH_MEDIA: _("Flash or other multimedia content"),
        inspection.XFA: _("an XFA form"),
        inspection.DATA_ACTIONS: _("actions that send or import data"),
        inspection.MARKUP: _("web page code (HTML or a script)"),
        inspection.ARCHIVE: _("a compressed archive (such as ZIP)"),
        inspection.TRAILING_DATA: _("extra data after the end of the document"),
    }


def _messages(limit: str, found: str, max_pixels: str) -> dict[RejectionReason, str]:
    # Built at raise time so the message is in the language of the request.
    return {
        RejectionReason.TOO_LARGE: _(
            "The file is larger than %(limit)s MB. Scan it at a lower resolution or split it.", limit=limit
        ),
        RejectionReason.EMPTY: _("The file is empty. Choose the file again and check that it opens on your device."),
        RejectionReason.TYPE: _(
            "Only PDF, JPEG and PNG files are accepted. Save or scan your document in one of these formats."
        ),
        RejectionReason.ENCRYPTED_PDF: _("This PDF is protected by a password. Upload a copy without a password."),
        RejectionReason.MALFORMED_PDF: _("This PDF file is damaged and cannot be opened. Save or scan it again."),
        RejectionReason.MALFORMED_IMAGE: _(
            "This image is damaged and cannot be opened. Take the photo or scan the document again."
        ),
        RejectionReason.INFECTED: _(
            "This file contains a virus and was not accepted. Check your device with antivirus software "
            "and upload a clean copy."
        ),
        RejectionReason.SCANNER_UNAVAILABLE: _(
            "We could not check this file for viruses just now. Please try again in a few minutes."
        ),
        RejectionReason.TOO_MANY_PIXELS: _(
            "This image has more than %(max_pixels)s megapixels. Take the photo at a lower resolution, or "
            "resize or scan it again.",
            max_pixels=max_pixels,
        ),
        RejectionReason.ACTIVE_PDF: _(
            "This PDF contains %(found)s, which could run on the computer of the officer who opens it. "
            "Print it to a new PDF (“Save as PDF” or “Microsoft Print to PDF”) or scan the paper, and upload "
            "that copy.",
            found=found,
        ),
        RejectionReason.HIDDEN_CONTENT: _(
            "This file also contains %(found)s hidden inside it. Save or scan the document again as a plain "
            "PDF, JPEG or PNG file and upload that copy.",
            found=found,
        ),
    }


class UploadRejected(InvalidInput):
    """An upload refused for `reason`, with a message telling the citizen what to do instead."""

    def __init__(
        self,
        reason: RejectionReason,
        *,
        max_bytes: int = 0,
        found: set[str] | None = None,
        max_pixels: int = 0,
        detail: str = "",
    ):
        limit = format_decimal(round(max_bytes / (1024 * 1024), 1)) if max_bytes else ""
        names = _found_names()
        found_text = ", ".join(names[kind] for kind in sorted(found or ()))
        megapixels = format_decimal(round(max_pixels / 1_000_000, 1))
        super().__init__(_messages(limit, found_text, megapixels)[reason])
        self.reason = reason
        self.found = found or set()
        # For logs only: what the parser or scanner said (a signature name, a parse error).
        self.detail = detail


@dataclass
class ReceivedFile:
    sha256: str
    size: int
    content_type: str
    filename: str


def receive_upload(
    stream: BinaryIO,
    filename: str,
    storage: BlobStorage,
    *,
    max_bytes: int,
    scanner: Scanner | None,
    max_pixels: int = 40_000_000,
) -> ReceivedFile:
    """Check an uploaded file and store it; raises UploadRejected, and then nothing is stored.

    The bytes are written once, into the storage's staging file, hashed on the way; the checks read
    them back from there, and only a file that passed them all is kept.
    """
    with storage.staging() as staged:
        size = _copy_at_most(stream, staged, max_bytes)
        if size == 0:
            raise UploadRejected(RejectionReason.EMPTY)
        spool = staged.file
        spool.seek(0)
        content_type = sniff_content_type(spool.read(8))
        if content_type is None:
            raise UploadRejected(RejectionReason.TYPE)
        spool.seek(0)
        reader = _check_pdf(spool) if content_type == PDF else _check_image(spool, content_type, max_pixels)
        if scanner is not None:
            spool.seek(0)
            _check_clean(spool, scanner)
        _check_nothing_hidden(spool, content_type, reader)
        blob = storage.keep(staged)
    return ReceivedFile(
        sha256=blob.sha256, size=blob.size, content_type=content_type, filename=clean_filename(filename, content_type)
    )


def sniff_content_type(head: bytes) -> str | None:
    """The accepted type the file's first bytes announce, or None."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def clean_filename(filename: str, content_type: str) -> str:
    """A name safe to show and to offer for download: the base name, no control or direction characters,
    ending in the extension of the type the content showed ("x.exe" holding a PDF is kept as "x.pdf")."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Category C covers control and format characters, such as the NUL of "good.pdf\0.exe" and the
    # right-to-left override that makes "gpj.exe" display as "exe.jpg".
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().strip(".").strip()
    stem, extension = os.path.splitext(name)
    if not _EXTENSION.fullmatch(extension):
        stem, extension = name, ""
    if extension.lower() not in _SAME_TYPE_EXTENSIONS[content_type]:
        extension = _EXTENSIONS[content_type]
        # "good.pdf.exe" holding a PDF becomes "good.pdf", not "good.pdf.pdf".
        stem_extension = os.path.splitext(stem)[1]
        if stem_extension.lower() in _SAME_TYPE_EXTENSIONS[content_type]:
            stem, extension = stem[: -len(stem_extension)], stem_extension
    stem = stem.rstrip(" .") or "document"
    return stem[: FILENAME_MAX_LENGTH - len(extension)].rstrip() + extension


def _copy_at_most(source: BinaryIO, target: BinaryIO, max_bytes: int) -> int:
    # Read at most one byte past the limit: enough to know the file is too large, without
    # pulling in the rest of it.
    size = 0
    while chunk := source.read(min(CHUNK_SIZE, max_bytes + 1 - size)):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRejected(RejectionReason.TOO_LARGE, max_bytes=max_bytes)
        target.write(chunk)
    return size


def _check_pdf(spool: BinaryIO) -> PdfReader:
    try:
        reader = PdfReader(spool)
        if reader.is_encrypted:
            raise UploadRejected(RejectionReason.ENCRYPTED_PDF)
        pages = len(reader.pages)
    except UploadRejected:
        raise
    except Exception as error:
        # pypdf raises many kinds of errors on damaged files; any of them means the file cannot be used.
        raise UploadRejected(RejectionReason.MALFORMED_PDF, detail=repr(error)) from error
    if pages == 0:
        raise UploadRejected(RejectionReason.MALFORMED_PDF, detail="no pages")
    return reader


def _check_image(spool: BinaryIO, content_type: str, max_pixels: int) -> None:
    try:
        with warnings.catch_warnings():
            # Pillow warns from about 89 megapixels and refuses from twice that; the cap below is ours.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(spool) as image:
                image_format = image.format
                width, height = image.size  # read from the header: nothing is decoded
                if width * height <= max_pixels:
                    image.verify()
    except Image.DecompressionBombError as error:
        raise UploadRejected(RejectionReason.TOO_MANY_PIXELS, max_pixels=max_pixels, detail=str(error)) from error
    except Exception as error:
        # Pillow, too, raises many kinds of errors on damaged files (OSError, SyntaxError, ...).
        raise UploadRejected(RejectionReason.MALFORMED_IMAGE, detail=repr(error)) from error
    if image_format != _PILLOW_FORMATS[content_type]:
        raise UploadRejected(RejectionReason.MALFORMED_IMAGE, detail=f"{image_format} inside a {content_type}")
    if width * height > max_pixels:
        raise UploadRejected(
            RejectionReason.TOO_MANY_PIXELS, max_pixels=max_pixels, detail=f"{width} x {height} pixels"
        )


def _check_nothing_hidden(spool: BinaryIO, content_type: str, reader: PdfReader | None) -> None:
    """Refuse active PDF content and polyglots, naming what was found (see docs/operations.md, "Uploads")."""
    try:
        active = inspection.pdf_active_content(reader) if reader is not None else set()
        hidden = inspection.hidden_content(spool, _INSPECTED_KINDS[content_type])
    except Exception as error:
        # Too many objects, a broken reference, a chunk running past the end: the file cannot be used.
        reason = RejectionReason.MALFORMED_PDF if reader is not None else RejectionReason.MALFORMED_IMAGE
        raise UploadRejected(reason, detail=repr(error)) from error
    if active:
        raise UploadRejected(RejectionReason.ACTIVE_PDF, found=active)
    if hidden:
        raise UploadRejected(RejectionReason.HIDDEN_CONTENT, found=hidden)


def _check_clean(spool: BinaryIO, scanner: Scanner) -> None:
    try:
        result = scanner.scan(spool)
    except ScannerUnavailable as error:
        raise UploadRejected(RejectionReason.SCANNER_UNAVAILABLE, detail=str(error)) from error
    if not result.clean:
        raise UploadRejected(RejectionReason.INFECTED, detail=result.signature or "")


def receive_with_settings(stream: BinaryIO, filename: str, config: Mapping) -> ReceivedFile:
    """receive_upload with the installation's storage, size limit and scanner: what every upload page uses."""
    from onestop.datastore.backends import storage_from_config
    from onestop.datastore.scanning import scanner_from_config

    return receive_upload(
        stream,
        filename,
        storage_from_config(config),
        max_bytes=config["UPLOAD_MAX_BYTES"],
        scanner=scanner_from_config(config),
        max_pixels=config["UPLOAD_MAX_PIXELS"],
    )


# --- Receiving the request: each file capped while it streams in ---------------------------------

# A file part is kept in memory up to this size, then in a temporary file (Werkzeug's own threshold).
_IN_MEMORY_BYTES = 500 * 1024


class CappedSpool(tempfile.SpooledTemporaryFile):
    """Where one uploaded file is written while the request is parsed: at most `room` bytes are kept.

    The rest of the file is read and dropped, so the fields that follow it in the request are still
    parsed, and the page can come back with everything the citizen typed and a message on the file.
    Keeping one byte more than the limit is what tells `receive_upload` that the file was too large.
    """

    def __init__(self, room: int):
        super().__init__(max_size=_IN_MEMORY_BYTES, mode="w+b")
        self.room = room

    def write(self, data) -> int:
        kept = bytes(data[: max(self.room, 0)])
        self.room -= len(kept)
        if kept:
            super().write(kept)
        return len(data)


class UploadCappingRequest(Request):
    """The app's request: every file part is cut one byte past UPLOAD_MAX_BYTES while it arrives.

    MAX_CONTENT_LENGTH (REQUEST_MAX_BYTES) still bounds the whole body, well above one file's limit,
    so a file a few times too large gets the form back instead of a bare 413 that drops the fields.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return CappedSpool(current_app.config["UPLOAD_MAX_BYTES"] + 1)
