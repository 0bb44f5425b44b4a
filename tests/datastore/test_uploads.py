"""Upload checks on real files: the content decides the type, damaged or locked files are refused
with a reason and a message saying what to do, and nothing refused is stored."""

import hashlib
import io

import pytest
from PIL import Image

from onestop.datastore.backends.base import CHUNK_SIZE
from onestop.datastore.uploads import ReceivedFile, UploadRejected, clean_filename, receive_upload
from onestop.errors import InvalidInput
from tests.datastore.conftest import (
    encrypted_pdf_bytes,
    image_bytes,
    jpeg_with_segment,
    pdf_bytes,
    pdf_with,
    png_of_size,
    zip_bytes,
)

LIMIT = 200 * 1024


class CountingStream(io.RawIOBase):
    """A stream of `size` bytes that counts how many of them were read."""

    def __init__(self, size: int, head: bytes = b"%PDF-1.7\n"):
        self.size = size
        self.head = head
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.bytes_read)
        for i in range(n):
            position = self.bytes_read + i
            buffer[i] = self.head[position] if position < len(self.head) else 0x20
        self.bytes_read += n
        return n


def receive(data: bytes, filename: str, storage, max_bytes: int = LIMIT) -> ReceivedFile:
    return receive_upload(io.BytesIO(data), filename, storage, max_bytes=max_bytes, scanner=None)


def stored_count(storage) -> int:
    # Staging files count too: an upload is written where the store keeps it, and a refused one is removed.
    return sum(1 for path in storage.root.rglob("*") if path.is_file())


def refusal(data: bytes, filename: str, storage, max_bytes: int = LIMIT) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        receive(data, filename, storage, max_bytes)
    assert stored_count(storage) == 0
    return caught.value


def test_a_pdf_is_received_and_stored(local_storage):
    data = pdf_bytes()

    received = receive(data, "giay-khai-sinh.pdf", local_storage)

    assert received == ReceivedFile(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type="application/pdf",
        filename="giay-khai-sinh.pdf",
    )
    with local_storage.open(received.sha256) as stream:
        assert stream.read() == data


@pytest.mark.parametrize(("image_format", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_images_are_received(local_storage, image_format, content_type):
    data = image_bytes(image_format)

    received = receive(data, "ảnh chân dung", local_storage)

    assert (received.content_type, received.size) == (content_type, len(data))
    assert local_storage.exists(received.sha256)


def test_the_content_decides_the_type_not_the_name(local_storage):
    received = receive(image_bytes("PNG"), "setup.exe", local_storage)

    assert received.content_type == "image/png"
    assert received.filename == "setup.png"  # stored with the extension of what it is


def test_text_named_pdf_is_refused(local_storage):
    rejected = refusal(b"Just some text pretending to be a PDF", "don-de-nghi.pdf", local_storage)

    assert rejected.reason == "type"
    assert "PDF, JPEG" in rejected.message


def test_an_encrypted_pdf_is_refused(local_storage):
    rejected = refusal(encrypted_pdf_bytes(), "sao-ke.pdf", local_storage)

    assert rejected.reason == "encrypted_pdf"
    assert "mật khẩu" in rejected.message


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\n garbage", pdf_bytes()[:200], b"%PDF-1.4\n%%EOF\n"], ids=["garbage", "truncated", "no-pages"]
)
def test_a_damaged_pdf_is_refused(local_storage, data):
    rejected = refusal(data, "ho-so.pdf", local_storage)

    assert rejected.reason == "malformed_pdf"
    assert "bị hỏng" in rejected.message


def test_a_damaged_png_is_refused(local_storage):
    data = bytearray(image_bytes("PNG"))
    data[40] ^= 0xFF  # inside the image data: its checksum no longer matches

    assert refusal(bytes(data), "anh.png", local_storage).reason == "malformed_image"


def test_a_jpeg_header_on_garbage_is_refused(local_storage):
    assert refusal(b"\xff\xd8\xff" + b"\x00" * 100, "anh.jpg", local_storage).reason == "malformed_image"


def test_an_empty_file_is_refused(local_storage):
    assert refusal(b"", "trong.pdf", local_storage).reason == "empty"


def test_a_file_at_the_limit_is_accepted(local_storage):
    data = pdf_bytes()

    assert receive(data, "a.pdf", local_storage, max_bytes=len(data)).size == len(data)


def test_a_file_one_byte_over_the_limit_is_refused_without_reading_the_rest(local_storage):
    stream = CountingStream(LIMIT + 1)

    with pytest.raises(UploadRejected) as caught:
        receive_upload(stream, "lon.pdf", local_storage, max_bytes=LIMIT, scanner=None)

    assert caught.value.reason == "too_large"
    assert stored_count(local_storage) == 0
    assert stream.bytes_read <= LIMIT + CHUNK_SIZE


def test_a_huge_file_is_refused_after_reading_little_more_than_the_limit(local_storage):
    stream = CountingStream(1024 * 1024 * 1024)

    with pytest.raises(UploadRejected) as caught:
        receive_upload(stream, "rat-lon.pdf", local_storage, max_bytes=LIMIT, scanner=None)

    assert caught.value.reason == "too_large"
    assert stream.bytes_read <= LIMIT + CHUNK_SIZE


def test_a_refusal_is_invalid_input_shown_as_422(local_storage):
    rejected = refusal(b"", "x.pdf", local_storage)

    assert isinstance(rejected, InvalidInput)
    assert rejected.status_code == 422


def test_the_size_message_names_the_limit_in_megabytes(local_storage):
    with pytest.raises(UploadRejected) as caught:
        receive_upload(
            CountingStream(11 * 1024 * 1024), "x.pdf", local_storage, max_bytes=10 * 1024 * 1024, scanner=None
        )

    assert "10 MB" in caught.value.message


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\Users\\Bình\\Giấy khai sinh.pdf", "Giấy khai sinh.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("/tmp/ảnh thẻ.jpg", "ảnh thẻ.pdf"),
        ("ho\x00so\x1b[31m.pdf", "hoso[31m.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.pdf"),
        ("Nguye\u0302\u0303n Va\u0306n A.png", "Nguyễn Văn A.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        ("   .hidden.pdf  ", "hidden.pdf"),
        ("good.pdf\x00.exe", "good.pdf"),
        ("x.exe", "x.pdf"),
        ("report.PDF", "report.PDF"),
        ("page.html", "page.pdf"),
        ("Giấy khai sinh 27.3.2020", "Giấy khai sinh 27.3.2020.pdf"),
        ("hồ sơ.pdf.", "hồ sơ.pdf"),
    ],
)
def test_filenames_are_cleaned(given, kept):
    assert clean_filename(given, "application/pdf") == kept


@pytest.mark.parametrize(
    ("given", "content_type", "kept"),
    [
        ("ảnh.jpeg", "image/jpeg", "ảnh.jpeg"),
        ("ảnh.JPG", "image/jpeg", "ảnh.JPG"),
        ("ảnh.png", "image/jpeg", "ảnh.jpg"),
        ("scan.pdf", "image/png", "scan.png"),
        ("photo.jpg\u0000.svg", "image/jpeg", "photo.jpg"),
    ],
)
def test_the_kept_extension_is_the_detected_types(given, content_type, kept):
    assert clean_filename(given, content_type) == kept


def test_long_filenames_are_cut_to_200_characters_keeping_the_extension():
    cleaned = clean_filename("Đơn đề nghị " * 40 + ".pdf", "application/pdf")

    assert len(cleaned) <= 200
    assert cleaned.startswith("Đơn đề nghị")
    assert cleaned.endswith(".pdf")


# --- active PDF content and polyglots: refused, naming what was found -----------------------------

JS_ACTION = {"/S": "/JavaScript", "/JS": "app.alert(1)"}
ACTIVE_PDFS = {
    "open action JavaScript": (pdf_with(root={"/OpenAction": JS_ACTION}), {"javascript"}),
    "document JavaScript": (
        pdf_with(root={"/Names": {"/JavaScript": {"/Names": ["start", JS_ACTION]}}}),
        {"javascript"},
    ),
    "page action JavaScript": (pdf_with(page={"/AA": {"/O": JS_ACTION}}), {"javascript"}),
    "hidden name J#61vaScript": (
        pdf_with(root={"/OpenAction": JS_ACTION}).replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 "),
        {"javascript"},
    ),
    "link to a javascript: address": (
        pdf_with(page={"/Annots": [{"/Subtype": "/Link", "/Rect": [0, 0, 9, 9], "/A": {"/URI": "JavaScript:x"}}]}),
        {"javascript"},
    ),
    "launch": (pdf_with(root={"/OpenAction": {"/S": "/Launch", "/F": "cmd.exe"}}), {"launch"}),
    "embedded file": (pdf_bytes(attachment=b"MZ payload"), {"embedded_files"}),
    "rich media": (
        pdf_with(page={"/Annots": [{"/Type": "/Annot", "/Subtype": "/RichMedia", "/Rect": [0, 0, 9, 9]}]}),
        {"rich_media"},
    ),
    "XFA form": (pdf_with(root={"/AcroForm": {"/Fields": [], "/XFA": "xdp"}}), {"xfa"}),
    "submit form": (pdf_with(root={"/OpenAction": {"/S": "/SubmitForm", "/F": "http://x.example"}}), {"data_actions"}),
}


@pytest.mark.parametrize(("data", "found"), ACTIVE_PDFS.values(), ids=ACTIVE_PDFS.keys())
def test_a_pdf_with_active_content_is_refused_naming_it(local_storage, data, found):
    refused = refusal(data, "don.pdf", local_storage)

    assert (refused.reason, refused.found) == ("active_pdf", found)
    assert "in ra một tệp PDF mới" in refused.message  # the Vietnamese message, as citizens read it


def test_the_refusal_names_what_was_found_in_vietnamese(app, local_storage):
    with app.test_request_context(headers={"Cookie": "lang=vi"}):
        refused = refusal(pdf_with(root={"/OpenAction": JS_ACTION}), "don.pdf", local_storage)
    assert "JavaScript (một chương trình)" in refused.message


def test_an_ordinary_pdf_with_links_and_an_open_view_is_accepted(local_storage):
    data = pdf_with(
        root={"/OpenAction": ["/Fit"]},
        page={"/Annots": [{"/Type": "/Annot", "/Subtype": "/Link", "/Rect": [0, 0, 9, 9], "/A": {"/S": "/URI"}}]},
        title="Giấy khai sinh <bản sao>",
    )
    assert receive(data, "giay-khai-sinh.pdf", local_storage).content_type == "application/pdf"


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
POLYGLOTS = {
    "PNG with a web page in its text": (image_bytes("PNG", HTML.decode()), {"markup"}),
    "PNG with a web page after its end": (image_bytes("PNG") + HTML, {"markup", "trailing_data"}),
    "PDF with a web page in its first comment": (
        pdf_bytes().replace(b"\n", b"\n%" + HTML + b"\n", 1),
        {"markup"},
    ),
    "PDF with a web page after %%EOF": (pdf_bytes() + HTML, {"markup"}),
    "PDF with a RAR archive after %%EOF": (pdf_bytes() + b"Rar!\x1a\x07\x00\xcf\x90\x73", {"trailing_data"}),
    "PDF with a ZIP after %%EOF": (pdf_bytes() + zip_bytes(), {"archive", "trailing_data"}),
    "JPEG with a ZIP after its end": (image_bytes("JPEG") + zip_bytes(), {"archive", "trailing_data"}),
    "JPEG with a ZIP inside a comment": (jpeg_with_segment(zip_bytes()), {"archive"}),
    "JPEG with a web page inside a comment": (jpeg_with_segment(HTML), {"markup"}),
    "progressive JPEG with an iframe after its end": (
        image_bytes("JPEG", progressive=True) + b"<iframe src=x>",
        {"markup", "trailing_data"},
    ),
}


@pytest.mark.parametrize(("data", "found"), POLYGLOTS.values(), ids=POLYGLOTS.keys())
def test_a_file_hiding_a_second_one_is_refused(local_storage, data, found):
    refused = refusal(data, "scan.pdf", local_storage)

    assert (refused.reason, refused.found) == ("hidden_content", found)


CAMERA_EXIF = Image.Exif()
CAMERA_EXIF[0x010F] = "Samsung"  # Make


@pytest.mark.parametrize(
    "data",
    [
        image_bytes("JPEG", progressive=True),
        image_bytes("JPEG", exif=CAMERA_EXIF),
        image_bytes("JPEG") + b"\x00\x00\xff",
        image_bytes("PNG", "Nguyễn Văn A, 27/3/1990"),
        pdf_bytes() + b"\r\n\x00",
        pdf_bytes() + b"%comment from the scanner\n",
    ],
    ids=[
        "progressive JPEG",
        "JPEG with EXIF",
        "JPEG with padding",
        "PNG with a text",
        "PDF with padding",
        "PDF with a comment after %%EOF",
    ],
)
def test_ordinary_files_pass_the_polyglot_checks(local_storage, data):
    assert receive(data, "scan", local_storage).size == len(data)


# --- pixels: read from the header, capped ----------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(12_000, 9_000), (15_000, 13_000)], ids=["108 MP", "195 MP"])
def test_an_image_of_too_many_pixels_is_refused_without_decoding_it(local_storage, width, height):
    data = png_of_size(width, height)  # 100 KB on the wire, over 100 MB once decoded
    with pytest.raises(UploadRejected) as caught:
        receive_upload(io.BytesIO(data), "anh.png", local_storage, max_bytes=LIMIT, scanner=None)

    assert caught.value.reason == "too_many_pixels"
    assert "hơn 40 megapixel" in caught.value.message
    assert stored_count(local_storage) == 0


def test_the_pixel_cap_is_inclusive(local_storage):
    data = image_bytes("PNG")  # 32 x 24
    assert receive_upload(io.BytesIO(data), "a.png", local_storage, max_bytes=LIMIT, scanner=None, max_pixels=768)
    with pytest.raises(UploadRejected):
        receive_upload(io.BytesIO(data), "a.png", local_storage, max_bytes=LIMIT, scanner=None, max_pixels=767)


def test_markup_across_the_pieces_a_file_is_read_in_is_found(local_storage):
    plain = pdf_bytes() + b"\n"
    data = plain + b" " * (1024 * 1024 - len(plain) - 4) + HTML  # "<html>" starts 4 bytes before 1 MiB
    refused = refusal(data, "scan.pdf", local_storage, max_bytes=2 * 1024 * 1024)
    assert refused.found == {"markup", "trailing_data"}
