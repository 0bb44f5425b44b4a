"""What an uploaded file carries besides its document: active PDF content, and a second file hidden in it.

A polyglot is one file that is two: a PNG or PDF that a browser also renders as a web page, a JPEG that
an unzip tool also opens as an archive. Each check here reads the structure (PDF objects, PNG chunks,
JPEG segments) without decoding pages or pixels, and says what it found; `uploads` decides what to tell
the citizen. Findings are plain constants, so the message can name them in the citizen's language.
"""

from __future__ import annotations

import re
import struct
import zipfile
from io import SEEK_END
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

# Active PDF content, by what it does.
JAVASCRIPT = "javascript"
LAUNCH = "launch"
EMBEDDED_FILES = "embedded_files"
RICH_MEDIA = "rich_media"
XFA = "xfa"
DATA_ACTIONS = "data_actions"
# A second file inside.
MARKUP = "markup"
ARCHIVE = "archive"
TRAILING_DATA = "trailing_data"

# PDF names (as keys, or as values such as an action's /S) that make a document do something when opened
# or clicked. pypdf decodes "#xx" escapes in names, so /J#61vaScript is seen as /JavaScript.
_ACTIVE_PDF_NAMES = {
    "/JS": JAVASCRIPT,
    "/JavaScript": JAVASCRIPT,
    "/Launch": LAUNCH,
    "/EmbeddedFile": EMBEDDED_FILES,
    "/EmbeddedFiles": EMBEDDED_FILES,
    "/FileAttachment": EMBEDDED_FILES,
    "/GoToE": EMBEDDED_FILES,
    "/RichMedia": RICH_MEDIA,
    "/RichMediaExecute": RICH_MEDIA,
    "/XFA": XFA,
    "/SubmitForm": DATA_ACTIONS,
    "/ImportData": DATA_ACTIONS,
}
# Walking a PDF's objects stops here: far beyond any scanned or printed document, and it bounds the work.
MAX_PDF_ITEMS = 500_000

# What makes a browser treat bytes as a web page or run them: a tag followed by a space, "/" or ">", or a
# javascript: address. Only tags of three letters or more, and the delimiter, so that random compressed
# bytes match by chance about once in 5,000 files of 10 MB (the "<svg" case; longer tags far less).
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|frame|object|embed|svg)[\s/>]|javascript:",
    re.IGNORECASE,
)
# What may follow a file's end without counting as a second file: blanks; for JPEG the fill byte 0xFF; for
# PDF a little plain text too (some producers add a comment line after %%EOF; readers ignore it).
_NOT_PADDING = {
    "png": re.compile(rb"[^ \t\r\n\x00]"),
    "jpeg": re.compile(rb"[^ \t\r\n\x00\xff]"),
    "pdf": re.compile(rb"[^\x20-\x7e\t\r\n\x00]"),
}
_PDF_TRAILING_TEXT = 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_PIXEL_CHUNKS = {b"IDAT", b"fdAT"}
# Scan data ends at a 0xFF byte followed by a marker; 0xFF 0x00 (a stuffed byte), restart markers and
# fill bytes do not end it.
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# Files are read in pieces of this size, each overlapping the last by more than the longest pattern.
_PIECE = 1024 * 1024
_OVERLAP = 64
_PDF_TAIL = 64 * 1024


class TooComplex(Exception):
    """The structure is too large or too broken to inspect within bounds: treat the file as damaged."""


def pdf_active_content(reader: PdfReader) -> set[str]:
    """Which kinds of active content the PDF holds, walking every object reachable from its trailer."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    pending: list[object] = [reader.trailer]
    for _visit in range(MAX_PDF_ITEMS):
        if not pending:
            return found
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # streams too: their dictionary holds the /Type
            for name, value in item.items():
                if name in _ACTIVE_PDF_NAMES:
                    found.add(_ACTIVE_PDF_NAMES[name])
                if name == "/URI" and _is_javascript_address(value):
                    found.add(JAVASCRIPT)  # a link to "javascript:...", perhaps inside a compressed object stream
                pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(item)
        elif isinstance(item, NameObject) and item in _ACTIVE_PDF_NAMES:
            found.add(_ACTIVE_PDF_NAMES[item])
    raise TooComplex(f"more than {MAX_PDF_ITEMS} PDF objects")


def _is_javascript_address(value: object) -> bool:
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return "".join(text.split()).lower().startswith("javascript:")


def hidden_content(stream: BinaryIO, kind: str) -> set[str]:
    """A second file inside an accepted file ("pdf", "png" or "jpeg"): markup, an archive, data after its end.

    Markup is looked for where a document keeps text (PDF: the whole file, which has no pixels;
    images: the metadata and whatever follows the picture), not in compressed pixels, where a few
    bytes can match by chance. The file is read in pieces, never whole: a worker's memory stays flat.
    """
    size = stream.seek(0, SEEK_END)
    if kind == "pdf":
        text_ranges, end = [(0, size)], _pdf_end(stream, size)
    elif kind == "png":
        text_ranges, end = _png_parts(stream, size)
    else:
        text_ranges, end = _jpeg_parts(stream, size)
    found: set[str] = set()
    after_end = [(end, size)] if end is not None else []
    if any(_find(stream, _MARKUP, start, stop) is not None for start, stop in (*text_ranges, *after_end)):
        found.add(MARKUP)
    if _has_data_after(stream, kind, end, size):
        found.add(TRAILING_DATA)
    stream.seek(0)
    # An unzip tool finds an archive by its end record, which may sit inside a metadata segment.
    if zipfile.is_zipfile(stream):
        found.add(ARCHIVE)
    return found


def _has_data_after(stream: BinaryIO, kind: str, end: int | None, size: int) -> bool:
    if end is None or (kind == "pdf" and size - end > _PDF_TRAILING_TEXT):
        return True
    return _find(stream, _NOT_PADDING[kind], end, size) is not None


def _find(stream: BinaryIO, pattern: re.Pattern, start: int, stop: int) -> int | None:
    """Where `pattern` first matches in bytes [start, stop) of the stream, reading a piece at a time.

    Pieces overlap by `_OVERLAP` bytes, so a match no longer than that is found across a boundary.
    """
    position = start
    while position < stop:
        stream.seek(position)
        piece = stream.read(min(_PIECE, stop - position))
        if not piece:
            return None
        match = pattern.search(piece)
        if match is not None:
            return position + match.start()
        if position + len(piece) >= stop:
            return None
        position += max(1, len(piece) - _OVERLAP)
    return None


def _read_at(stream: BinaryIO, position: int, size: int) -> bytes:
    stream.seek(position)
    return stream.read(size)


def _pdf_end(stream: BinaryIO, size: int) -> int | None:
    """Where the PDF's last %%EOF ends; None when the last 64 KB hold none (more than that follows it)."""
    tail_start = max(0, size - _PDF_TAIL)
    end = _read_at(stream, tail_start, _PDF_TAIL).rfind(b"%%EOF")
    return tail_start + end + len(b"%%EOF") if end >= 0 else None


def _png_parts(stream: BinaryIO, size: int) -> tuple[list[tuple[int, int]], int]:
    """The byte ranges of every PNG chunk's data but the pixels, and where IEND ends."""
    parts: list[tuple[int, int]] = []
    position = len(_PNG_SIGNATURE)
    while position + 8 <= size:
        length, chunk_type = struct.unpack(">I4s", _read_at(stream, position, 8))
        start, end = position + 8, position + 8 + length
        if end + 4 > size:
            raise TooComplex("a PNG chunk runs past the end of the file")
        if chunk_type not in _PNG_PIXEL_CHUNKS:
            parts.append((start, end))
        position = end + 4  # past the CRC
        if chunk_type == b"IEND":
            return parts, position
    raise TooComplex("a PNG without its IEND chunk")


def _jpeg_parts(stream: BinaryIO, size: int) -> tuple[list[tuple[int, int]], int]:
    """The byte ranges of every JPEG segment's payload (comments, EXIF, ICC...) but the scans, and where EOI ends."""
    parts: list[tuple[int, int]] = []
    position = 2  # past SOI
    while position + 2 <= size:
        head = _read_at(stream, position, 4)
        if head[0] != 0xFF:
            raise TooComplex(f"no JPEG marker at byte {position}")
        if head[1] == 0xFF:
            position += 1  # a fill byte
            continue
        marker = head[1]
        position += 2
        if marker == 0xD9:  # EOI
            return parts, position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue  # markers without a payload
        if len(head) < 4:
            break
        (length,) = struct.unpack(">H", head[2:4])
        if length < 2:
            raise TooComplex("a JPEG segment shorter than its own length field")
        segment_end = position + length
        if marker != 0xDA:
            parts.append((position + 2, segment_end))
            position = segment_end
            continue
        following = _find(stream, _JPEG_MARKER_IN_SCAN, segment_end, size)  # the entropy-coded scan ends there
        if following is None:
            break
        position = following
    raise TooComplex("a JPEG without its end marker")
