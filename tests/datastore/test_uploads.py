"""Upload checks on real files: the content decides the type, damaged or locked files are refused
with a reason and a message saying what to do, and nothing refused is stored."""

import hashlib
import io

import pytest

from onestop.datastore.backends.base import CHUNK_SIZE
from onestop.datastore.uploads import ReceivedFile, UploadRejected, clean_filename, receive_upload
from onestop.errors import InvalidInput
from tests.datastore.conftest import encrypted_pdf_bytes, image_bytes, pdf_bytes

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
    assert received.filename == "setup.exe"


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
        ("../../etc/passwd", "passwd"),
        ("/tmp/ảnh thẻ.jpg", "ảnh thẻ.jpg"),
        ("ho\x00so\x1b[31m.pdf", "hoso[31m.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("Nguye\u0302\u0303n Va\u0306n A.png", "Nguyễn Văn A.png"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        ("   .hidden.pdf  ", "hidden.pdf"),
    ],
)
def test_filenames_are_cleaned(given, kept):
    assert clean_filename(given, "application/pdf") == kept


def test_long_filenames_are_cut_to_200_characters_keeping_the_extension():
    cleaned = clean_filename("Đơn đề nghị " * 40 + ".pdf", "application/pdf")

    assert len(cleaned) <= 200
    assert cleaned.startswith("Đơn đề nghị")
    assert cleaned.endswith(".pdf")
