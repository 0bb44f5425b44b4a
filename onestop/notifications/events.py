"""Every event the system tells people about, declared once: who hears it, what it carries, how.

A service calls `notify(recipient, "supplement_requested", facts)`; it never writes a sentence. The
wording lives in templates (defaults in defaults.yaml, the province's own in the database), which may
use only the facts declared here, so that a template naming an unknown field is refused at save.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from onestop.notifications.models import Channel


class Audience(enum.StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"


# What every event about an application carries, whoever receives it.
APPLICATION_FACTS = ("code", "procedure", "agency", "link")
# What every message may use, event or not.
COMMON_FACTS = ("recipient_name", "province")


@dataclass(frozen=True)
class Event:
    name: str
    audience: Audience
    title: object  # a lazy string: how the admin's template list names it
    facts: tuple[str, ...]
    channels: tuple[Channel, ...]  # by default, before the person's own choice
    critical: bool = False  # always on at least two channels, whatever the person chose
    about_application: bool = True
    # A made-up file the template page previews against; dates and amounts as the real ones come.
    sample: dict = field(default_factory=dict)

    @property
    def allowed_fields(self) -> frozenset[str]:
        return frozenset(self.facts + COMMON_FACTS + (APPLICATION_FACTS if self.about_application else ()))


_CITIZEN = (Channel.EMAIL, Channel.SMS)
_STAFF = (Channel.EMAIL,)
_SAMPLE_ITEMS = [
    {
        "title": {"vi": "Tờ khai đăng ký khai sinh", "en": "Birth registration form"},
        "note": {"vi": "Thiếu chữ ký của người đi đăng ký", "en": "The declarant's signature is missing"},
    },
    {
        "title": {"vi": "Giấy chứng sinh", "en": "Birth certificate from the hospital"},
        "note": {"vi": "Bản chụp bị mờ, xin gửi lại bản rõ", "en": "The photo is blurred; please send a clear one"},
    },
]

# Feedback is not always about a file: its events carry their own code, agency and link.
_FEEDBACK_SAMPLE = {
    "code": "ABCD23EFGH",
    "title": "Chưa nhận được kết quả đúng hẹn",
    "agency": {"vi": "UBND phường Hòa Bình", "en": "Hoa Binh Ward People's Committee"},
    "link": "https://dichvucong.example.vn/feedback/ABCD23EFGH",
}

EVENTS: dict[str, Event] = {
    event.name: event
    for event in (
        Event(
            "application_submitted",
            Audience.CITIZEN,
            _l("Application submitted"),
            ("pin",),
            _CITIZEN,
            sample={"pin": "4821"},
        ),
        Event(
            "application_accepted",
            Audience.CITIZEN,
            _l("Application accepted, with its due date"),
            ("due_on",),
            _CITIZEN,
            sample={"due_on": date(2026, 12, 15)},
        ),
        Event(
            "supplement_requested",
            Audience.CITIZEN,
            _l("Items missing from an application"),
            ("items", "deadline"),
            _CITIZEN,
            critical=True,
            sample={"items": _SAMPLE_ITEMS, "deadline": None},
        ),
        Event(
            "application_transferred",
            Audience.CITIZEN,
            _l("Application sent to another agency"),
            ("from_agency", "to_agency", "reason"),
            _CITIZEN,
            sample={
                "from_agency": {"vi": "UBND phường Hòa Bình", "en": "Hoa Binh Ward People's Committee"},
                "to_agency": {"vi": "UBND phường Tân Tiến", "en": "Tan Tien Ward People's Committee"},
                "reason": {
                    "vi": "Địa chỉ thường trú thuộc phường Tân Tiến",
                    "en": "The permanent address is in Tan Tien ward",
                },
            },
        ),
        Event(
            "application_refused",
            Audience.CITIZEN,
            _l("Application refused"),
            ("reason", "refund"),
            _CITIZEN,
            critical=True,
            sample={
                "reason": {"vi": "Người đề nghị không thuộc đối tượng được cấp", "en": "The applicant is not eligible"},
                "refund": 100000,
            },
        ),
        Event(
            "application_approved",
            Audience.CITIZEN,
            _l("Application approved"),
            (),
            _CITIZEN,
        ),
        Event(
            "due_date_moved",
            Audience.CITIZEN,
            _l("Apology: a new appointment date"),
            ("due_on", "reason"),
            _CITIZEN,
            sample={
                "due_on": date(2026, 12, 22),
                "reason": {"vi": "Cần xác minh thêm với cơ quan công an", "en": "The police must verify more facts"},
            },
        ),
        Event(
            "fee_due",
            Audience.CITIZEN,
            _l("A fee is due"),
            ("amount", "pay_link"),
            _CITIZEN,
            sample={"amount": 100000, "pay_link": "https://dichvucong.example.vn/payments/1"},
        ),
        Event(
            "payment_received",
            Audience.CITIZEN,
            _l("Payment received"),
            ("amount",),
            _CITIZEN,
            sample={"amount": 100000},
        ),
        Event(
            "refund_sent",
            Audience.CITIZEN,
            _l("Refund sent"),
            ("amount",),
            _CITIZEN,
            sample={"amount": 100000},
        ),
        Event(
            "result_ready",
            Audience.CITIZEN,
            _l("Result ready"),
            ("result",),
            _CITIZEN,
            critical=True,
            sample={"result": {"vi": "Giấy khai sinh", "en": "Birth certificate"}},
        ),
        Event(
            "result_handed_over",
            Audience.CITIZEN,
            _l("Paper result handed over at the counter"),
            ("result",),
            _CITIZEN,
            sample={"result": {"vi": "Giấy khai sinh", "en": "Birth certificate"}},
        ),
        Event(
            "result_posted",
            Audience.CITIZEN,
            _l("Paper result posted"),
            ("result", "tracking_number"),
            _CITIZEN,
            sample={"result": {"vi": "Giấy khai sinh", "en": "Birth certificate"}, "tracking_number": "EB123456789VN"},
        ),
        Event(
            "result_revoked",
            Audience.CITIZEN,
            _l("A signed result revoked"),
            ("document", "verification_code", "reason"),
            _CITIZEN,
            critical=True,
            sample={
                "document": {"vi": "Phiếu lý lịch tư pháp số 1", "en": "Criminal record certificate no. 1"},
                "verification_code": "7KQ4-MX29-HP",
                "reason": "Ghi sai năm sinh của người được cấp phiếu",
            },
        ),
        Event(
            "message_from_agency",
            Audience.CITIZEN,
            _l("New message from the agency"),
            ("message",),
            _CITIZEN,
            sample={
                "message": {
                    "vi": "Xin mang bản chính giấy tờ khi đến nhận kết quả.",
                    "en": "Please bring the original papers when you collect the result.",
                }
            },
        ),
        Event(
            "rating_invited",
            Audience.CITIZEN,
            _l("Invitation to rate the service"),
            ("survey_link",),
            _CITIZEN,
            sample={"survey_link": "https://dichvucong.example.vn/s/abc123"},
        ),
        Event(
            "feedback_received",
            Audience.CITIZEN,
            _l("Feedback received, with the date it will be answered by"),
            ("code", "title", "agency", "due_on", "link"),
            _CITIZEN,
            about_application=False,
            sample=_FEEDBACK_SAMPLE | {"due_on": date(2026, 12, 16)},
        ),
        Event(
            "feedback_forwarded",
            Audience.CITIZEN,
            _l("Feedback sent on to another agency"),
            ("code", "title", "from_agency", "to_agency", "note", "due_on", "link"),
            _CITIZEN,
            about_application=False,
            sample={key: _FEEDBACK_SAMPLE[key] for key in ("code", "title", "link")}
            | {
                "from_agency": {"vi": "UBND phường Hòa Bình", "en": "Hoa Binh Ward People's Committee"},
                "to_agency": {"vi": "Sở Tư pháp tỉnh Minh Sơn", "en": "Minh Son Department of Justice"},
                "note": "Việc cấp phiếu lý lịch tư pháp thuộc Sở Tư pháp.",
                "due_on": date(2026, 12, 17),
            },
        ),
        Event(
            "feedback_answered",
            Audience.CITIZEN,
            _l("Feedback answered"),
            ("code", "title", "agency", "link"),
            _CITIZEN,
            about_application=False,
            sample=_FEEDBACK_SAMPLE,
        ),
        Event(
            "staff_new_feedback",
            Audience.STAFF,
            _l("New feedback in my agency's queue"),
            ("code", "title", "agency", "due_on", "link"),
            _STAFF,
            about_application=False,
            sample=_FEEDBACK_SAMPLE | {"due_on": date(2026, 12, 16)},
        ),
        Event(
            "staff_new_application",
            Audience.STAFF,
            _l("New application in my queue"),
            (),
            _STAFF,
        ),
        Event(
            "staff_assigned",
            Audience.STAFF,
            _l("Application assigned to me"),
            ("due_on", "by"),
            _STAFF,
            sample={"due_on": date(2026, 12, 15), "by": {"vi": "Trần Thị Bình", "en": "Tran Thi Binh"}},
        ),
        Event(
            "staff_returned",
            Audience.STAFF,
            _l("Application returned to me"),
            ("by", "comment"),
            _STAFF,
            sample={
                "by": {"vi": "Lê Văn Cường", "en": "Le Van Cuong"},
                "comment": {"vi": "Bổ sung ý kiến của công an phường", "en": "Add the ward police's opinion"},
            },
        ),
        Event(
            "staff_signing_code",
            Audience.STAFF,
            _l("One-time code to sign a result"),
            ("otp", "minutes"),
            _STAFF,
            sample={"otp": "482913", "minutes": 5},
        ),
        Event(
            "staff_due_tomorrow",
            Audience.STAFF,
            _l("Application due tomorrow"),
            ("due_on",),
            _STAFF,
            sample={"due_on": date(2026, 12, 3)},
        ),
        Event(
            "staff_overdue",
            Audience.STAFF,
            _l("Application overdue"),
            ("due_on",),
            _STAFF,
            sample={"due_on": date(2026, 12, 1)},
        ),
        Event(
            "staff_deadline_summary",
            Audience.STAFF,
            _l("Files due or overdue in my agency (daily, for leaders)"),
            ("agency_name", "day", "horizon", "files"),
            _STAFF,
            about_application=False,
            sample={
                "agency_name": {"vi": "Công an tỉnh Minh Sơn", "en": "Minh Son Provincial Police"},
                "day": date(2026, 12, 2),
                "horizon": date(2026, 12, 3),
                "files": [
                    {
                        "code": "000.00.02.H99-261120-0007",
                        "procedure": {"vi": "Cấp Phiếu lý lịch tư pháp", "en": "Criminal record certificate"},
                        "due_on": date(2026, 12, 1),
                        "is_overdue": True,
                        "holder": {"vi": "Phạm Thu Hà", "en": "Pham Thu Ha"},
                    }
                ],
            },
        ),
        Event(
            "staff_citizen_message",
            Audience.STAFF,
            _l("New message from a citizen"),
            ("message", "author"),
            _STAFF,
            sample={
                "message": {"vi": "Tôi đã gửi bổ sung giấy chứng sinh.", "en": "I have sent the birth certificate."},
                "author": {"vi": "Nguyễn Văn An", "en": "Nguyen Van An"},
            },
        ),
        Event(
            "staff_digest",
            Audience.STAFF,
            _l("Daily digest"),
            ("count", "notices", "inbox_link"),
            _STAFF,
            about_application=False,
            sample={
                "count": 2,
                "notices": [
                    {
                        "title": {
                            "vi": "Hồ sơ mới: 000.00.12.H99-261202-0001",
                            "en": "New application 000.00.12.H99-261202-0001",
                        }
                    },
                    {"title": {"vi": "Được giao: …-0002", "en": "Assigned to you: …-0002"}},
                ],
                "inbox_link": "https://dichvucong.example.vn/inbox",
            },
        ),
    )
}

SAMPLE_APPLICATION = {
    "code": "000.00.12.H99-261202-0042",
    "procedure": {"vi": "Đăng ký khai sinh", "en": "Birth registration"},
    "agency": {"vi": "UBND phường Hòa Bình", "en": "Hoa Binh Ward People's Committee"},
    "link": "https://dichvucong.example.vn/applications/42",
    "recipient_name": {"vi": "Nguyễn Văn An", "en": "Nguyen Van An"},
    "province": {"vi": "Tỉnh Minh Sơn", "en": "Minh Son Province"},
}


def event_named(name: str) -> Event:
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"no notification event is declared as {name!r}") from None
