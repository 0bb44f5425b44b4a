"""Sample slips with Vietnamese names and diacritics, shared by the slip tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from onestop.slips import (
    ApologySlip,
    Contact,
    ControlRow,
    ControlSlip,
    DocumentForm,
    Party,
    ReceiptSlip,
    ReceivedDocument,
    RefusalSlip,
    ResultDelivery,
    SlipHeader,
    StepMark,
    SupplementItem,
    SupplementSlip,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "000.00.12.H30-261124-0007"
STATUS_URL = f"https://dichvucong.haugiang.gov.vn/procedures/status?code={CODE}"


def at(day: int, month: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A moment given in Vietnam's local time, stored in UTC as the application's moments are."""
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM).astimezone(UTC)


def header(**changes) -> SlipHeader:
    values = {
        "province_name": "Hậu Giang",
        "agency_name": "Trung tâm Phục vụ hành chính công",
        "parent_body": "Ủy ban nhân dân tỉnh Hậu Giang",
        "place_name": "Vị Thanh",
        "issued_at": at(24, 11, 9, 5),
        "officer_name": "Trần Thị Bích Ngọc",
        "application_code": CODE,
        "status_url": STATUS_URL,
        "number": "1245/GTN",
    }
    return SlipHeader(**(values | changes))


APPLICANT = Party(
    name="Nguyễn Thị Hồng Nhung",
    citizen_id="093186001234",
    address="Số 12 đường Trần Hưng Đạo, phường Vị Thanh, tỉnh Hậu Giang",
    phone="0912 345 678",
    email="hongnhung@example.vn",
)
PROCEDURE = "Đăng ký thường trú"


def receipt() -> ReceiptSlip:
    return ReceiptSlip(
        header=header(),
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        documents=(
            ReceivedDocument("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", DocumentForm.ELECTRONIC_COPY),
            ReceivedDocument("Giấy tờ chứng minh chỗ ở hợp pháp", DocumentForm.ORIGINAL_SEEN),
            ReceivedDocument("Văn bản đồng ý của chủ hộ", DocumentForm.CERTIFIED_COPY, count=2),
        ),
        received_at=at(24, 11, 9, 5),
        due_at=at(1, 12, 16, 30),
        result_delivery=ResultDelivery.COUNTER,
        delivery_detail="Quầy số 3, Trung tâm Phục vụ hành chính công tỉnh Hậu Giang",
        processing_days=5,
        book_volume="02",
        book_entry="0137",
    )


def supplement() -> SupplementSlip:
    return SupplementSlip(
        header=header(number="88/HDHS"),
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=at(24, 11, 9, 5),
        items=(
            SupplementItem(
                "Giấy tờ chứng minh chỗ ở hợp pháp", "Bản chụp bị mờ, không đọc được số thửa đất; nộp lại bản rõ nét."
            ),
            SupplementItem("Văn bản đồng ý của chủ hộ", "Thiếu chữ ký của chủ hộ Lê Văn Đức."),
        ),
        reason="Hồ sơ chưa đủ căn cứ xác định chỗ ở hợp pháp theo quy định.",
        contact=Contact("Phạm Quốc Huy", phone="0293 3876 543", email="motcua@haugiang.gov.vn"),
    )


def refusal() -> RefusalSlip:
    return RefusalSlip(
        header=header(number="15/TC"),
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=at(24, 11, 9, 5),
        reason="Chỗ ở đề nghị đăng ký nằm trong khu vực cấm đăng ký thường trú mới theo quy định của Luật Cư trú.",
    )


def apology() -> ApologySlip:
    return ApologySlip(
        header=header(
            officer_name="Võ Thành Đạt", officer_title="KT. GIÁM ĐỐC — PHÓ GIÁM ĐỐC", issued_at=at(30, 11, 14)
        ),
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=at(24, 11, 9, 5),
        original_due_at=at(1, 12, 16, 30),
        new_due_at=at(8, 12, 10),
        reason="Cần xác minh thêm thông tin về chỗ ở với Ủy ban nhân dân xã Hỏa Lựu.",
    )


def control() -> ControlSlip:
    return ControlSlip(
        header=header(),
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=at(24, 11, 9, 5),
        due_at=at(1, 12, 16, 30),
        processing_agency="Công an tỉnh Hậu Giang",
        coordinating_agencies=("Ủy ban nhân dân xã Hỏa Lựu",),
        rows=(
            ControlRow(
                step="Bộ phận Một cửa → Phòng Cảnh sát quản lý hành chính",
                handed_by="Trần Thị Bích Ngọc",
                received_by="Đỗ Minh Khôi",
                handed_at=at(24, 11, 10, 30),
                due_at=at(25, 11, 16, 30),
                done_at=at(25, 11, 11),
                mark=StepMark.EARLY,
            ),
            ControlRow(
                step="Lãnh đạo phòng — xem xét, ký duyệt",
                handed_by="Đỗ Minh Khôi",
                received_by="Hoàng Thu Hằng",
                handed_at=at(25, 11, 11),
                due_at=at(27, 11, 16, 30),
                done_at=at(30, 11, 8, 15),
                mark=StepMark.LATE,
                note="Chờ xác minh của xã",
            ),
            ControlRow(
                step="Văn thư — đóng dấu, phát hành",
                handed_by="Hoàng Thu Hằng",
                received_by="Lý Thị Mỹ Duyên",
                handed_at=at(30, 11, 8, 15),
                due_at=at(1, 12, 16, 30),
            ),
        ),
    )
