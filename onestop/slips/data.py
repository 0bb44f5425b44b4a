"""What each standard slip needs, as plain frozen dataclasses.

The slips are the forms of the one-stop circular (Thông tư 01/2018/TT-VPCP, Mẫu 01–06; see
`shared/domain/slips.md`). This module knows nothing about the database: the workflow maps its
models to these records, and `render.render_pdf` / `book.tracking_book_xlsx` turn them into bytes, so
a slip can be rendered in a request, a Celery task or a test alike.

Every moment is an aware `datetime` (the project keeps UTC); the slips print it in the province's
local time (`SlipHeader.timezone`). A naive datetime is refused at construction, because printing it
would silently assume the server's zone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

#: The circular whose forms these slips follow; store it with every slip issued, so that a slip can
#: be re-printed as issued after the forms change (Circular 03/2025/TT-VPCP renumbers them).
FORM_VERSION = "01/2018/TT-VPCP"


def _require_aware(record: object) -> None:
    for item in fields(record):  # type: ignore[arg-type]
        value = getattr(record, item.name)
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise ValueError(f"{type(record).__name__}.{item.name} must be an aware datetime, got {value!r}")


class DocumentForm(enum.StrEnum):
    """In what form a document of the file was received (labels live in the templates)."""

    ELECTRONIC_COPY = "electronic_copy"  # uploaded scan or photo, or a warehouse document
    ORIGINAL_SEEN = "original_seen"  # original shown at the counter for comparison, handed back
    ORIGINAL = "original"
    CERTIFIED_COPY = "certified_copy"
    PHOTOCOPY = "photocopy"


class ResultDelivery(enum.StrEnum):
    """How the applicant asked to receive the result."""

    ONLINE = "online"
    COUNTER = "counter"
    POST = "post"


class StepMark(enum.StrEnum):
    """How a finished processing step kept its budget (Mẫu 05's result column)."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True)
class SlipHeader:
    """The heading every slip shares, and the code and status link it carries."""

    province_name: str
    agency_name: str  # the one-stop unit issuing the slip, e.g. "Trung tâm Phục vụ hành chính công"
    parent_body: str  # the body above it, printed first, e.g. "UBND tỉnh Hậu Giang"
    place_name: str  # for the "<place>, ngày … tháng … năm …" line
    issued_at: datetime
    officer_name: str
    application_code: str
    status_url: str  # the public status page the QR code points to
    number: str = ""  # the slip's own number ("Số: …"), when the agency numbers them
    officer_title: str = ""  # printed above the signature when the signer acts for someone ("KT. GIÁM ĐỐC")
    timezone: str = "Asia/Ho_Chi_Minh"
    # The code a third party types on the verification page, and its link (onestop/results/seal.py).
    verification_code: str = ""
    verification_url: str = ""

    def __post_init__(self) -> None:
        _require_aware(self)
        ZoneInfo(self.timezone)  # fail now, not half-way through a render


@dataclass(frozen=True)
class Party:
    """The applicant (the person or organisation the file is for)."""

    name: str
    citizen_id: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class _SlipAboutAFile:
    """What every slip says about the file it concerns: who filed what, and when it came in."""

    header: SlipHeader
    applicant: Party
    procedure_name: str
    received_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self)


@dataclass(frozen=True)
class ReceivedDocument:
    title: str
    form: DocumentForm
    count: int = 1


@dataclass(frozen=True)
class ReceiptSlip(_SlipAboutAFile):
    """Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""

    form_number: ClassVar[str] = "01"

    documents: tuple[ReceivedDocument, ...]
    due_at: datetime
    result_delivery: ResultDelivery
    delivery_detail: str = ""  # the counter, or the postal address, the result goes to
    sets: int = 1  # "số lượng hồ sơ: n bộ"
    processing_days: int | None = None  # the procedure's time limit in working days
    book_volume: str = ""  # the tracking-book entry this receipt is logged under
    book_entry: str = ""


@dataclass(frozen=True)
class SupplementItem:
    title: str  # the component of the file
    problem: str  # what is missing or wrong, and what to bring


@dataclass(frozen=True)
class Contact:
    """Whom the applicant asks for help with a supplement."""

    name: str
    phone: str = ""
    email: str = ""
    website: str = ""


@dataclass(frozen=True)
class SupplementSlip(_SlipAboutAFile):
    """Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: every item in one go."""

    form_number: ClassVar[str] = "02"

    items: tuple[SupplementItem, ...]
    reason: str
    contact: Contact

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.items:
            raise ValueError("A supplement request lists at least one item.")


@dataclass(frozen=True)
class RefusalSlip(_SlipAboutAFile):
    """Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ."""

    form_number: ClassVar[str] = "03"

    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.reason.strip():
            raise ValueError("A refusal carries its reason.")


@dataclass(frozen=True)
class ApologySlip(_SlipAboutAFile):
    """Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả."""

    form_number: ClassVar[str] = "04"

    original_due_at: datetime
    new_due_at: datetime
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.new_due_at <= self.original_due_at:
            raise ValueError("The new appointment must come after the one it replaces.")


@dataclass(frozen=True)
class ControlRow:
    """One hand-off of the file on Mẫu 05."""

    step: str  # the unit or step that receives the file, e.g. "Phòng Tư pháp — thẩm định"
    handed_by: str
    received_by: str
    handed_at: datetime
    due_at: datetime
    done_at: datetime | None = None
    mark: StepMark | None = None  # set once the step is done
    note: str = ""

    def __post_init__(self) -> None:
        _require_aware(self)


@dataclass(frozen=True)
class ControlSlip(_SlipAboutAFile):
    """Mẫu 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ."""

    form_number: ClassVar[str] = "05"

    due_at: datetime
    processing_agency: str
    rows: tuple[ControlRow, ...]
    coordinating_agencies: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class BookRow:
    """One application in the tracking book (Mẫu 06)."""

    number: int  # the entry's order number in the book
    application_code: str
    procedure_name: str
    applicant_name: str
    applicant_contact: str  # address and phone, as the book prints them
    processing_agency: str
    received_at: datetime
    due_at: datetime
    sets: int = 1
    transferred_at: datetime | None = None
    result_at: datetime | None = None
    returned_at: datetime | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _require_aware(self)


Slip = ReceiptSlip | SupplementSlip | RefusalSlip | ApologySlip | ControlSlip
