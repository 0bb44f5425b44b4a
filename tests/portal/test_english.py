"""Every page a visitor, a citizen and the officers can open, rendered in English, has no stray Vietnamese.

Vietnamese is recognised by its letters with diacritics. What may legitimately stay Vietnamese on an English
page is allow-listed below, each entry with its reason: what people typed (names, addresses, answers, titles),
the language switch, and the pack fields a province writes in Vietnamese only (legal citations, addresses and
place names). Everything else (interface strings, calendar traces, pack texts that have an English form)
must come out in English.
"""

import re

import pytest

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.notifications.models import Notice
from onestop.procedures.models import Application
from onestop.provinces.models import Agency
from tests.approving import approve_by_signing, portal_signing, signing_world  # noqa: F401  (fixtures)
from tests.feedback.conftest import sent_feedback
from tests.filing import APPLICANT, CERTIFICATE, LLTP, answer, fill_all_steps, pdf_bytes, start
from tests.office.conftest import POLICE, act, as_staff, file_lltp
from tests.paying import SECRET, TMN_CODE, gateway_result, signed, start_paying
from tests.surveys.conftest import BILINGUAL_VIETNAMESE, bilingual_survey

# Letters only Vietnamese uses, and vowels carrying its tone marks (acute/grave alone, as in French, do not count
# on capitals and on a, e, o: "é" in a loan word is not Vietnamese, "ế" or "ạ" is).
VIETNAMESE = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯ"
    "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ"
    "ãẽĩõũỹìíòóùúýàáèéÀÁÈÉÌÍÒÓÙÚÝ]"
)
_INVISIBLE = re.compile(r"<script\b.*?</script>|<style\b.*?</style>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SHOWN_ATTRIBUTE = re.compile(r'(?:title|alt|placeholder|aria-label|value)="([^"]*)"')

# Officers' notes and answers typed in this test: what people write stays in their language.
NOTES = {
    "supplement": "Ảnh mờ, chụp lại hai mặt",
    "other": "Ghi rõ mục đích",
    "proposal": "Hồ sơ hợp lệ",
}
STAFF = {"clerk": "Đặng Thị Lan", "specialist": "Bùi Văn Nam", "leader": "Ngô Thanh Sơn", "admin": "Lê Quản Trị"}


def _allowed(pack) -> list[str]:
    """The Vietnamese an English page may show, longest first (so that a name inside a longer text goes with it)."""
    allowed = {
        # The language switch names the other language in that language.
        "Tiếng Việt",
        # People's own names and addresses, as they or the pack's staff list typed them.
        APPLICANT["full_name"],
        APPLICANT["address-street"],
        *STAFF.values(),
        # Answers, titles and notes people typed.
        CERTIFICATE["purpose"],
        *NOTES.values(),
        # A survey's Vietnamese wording, in the builder's Vietnamese fields.
        *BILINGUAL_VIETNAMESE,
        # A legal citation keeps its number as issued (the dashboards' service index).
        "766/QĐ-TTg",
    }
    # Pack fields that have no English form: legal citations, addresses, place names and who a staff member is.
    allowed.add(pack.province.contact.address)
    for agency in pack.agencies:
        allowed.add(agency.address)
    allowed.update(staff.full_name for staff in pack.staff)
    for procedure in pack.procedures:
        allowed.update(procedure.legal_basis)
        # A result's variable fields hold the Vietnamese the official paper prints (defaults, the chosen answers'
        # Vietnamese labels), shown for correction exactly as they will be printed.
        if procedure.result_template and procedure.form:
            sources = {entry.source for entry in procedure.result_template.fields}
            allowed.update(entry.default for entry in procedure.result_template.fields if entry.default)
            for _step, spec in procedure.form.all_fields():
                if spec.id in sources:
                    allowed.update(option.label["vi"] for option in spec.options)

    def walk(units):
        for unit in units:
            if "en" not in unit.name:
                allowed.add(unit.name["vi"])
            walk(unit.children)

    walk(pack.units)
    return sorted((text for text in allowed if text), key=len, reverse=True)


def stray_vietnamese(html: str, allowed: list[str]) -> list[str]:
    """The pieces of visible text (and attribute values) still carrying Vietnamese letters."""
    text = _INVISIBLE.sub(" ", html)
    for piece in allowed:
        text = text.replace(piece, " ")
    text = _TAG.sub(
        lambda tag: " " + " ".join(re.findall(r'(?:title|alt|placeholder|aria-label|value)="([^"]*)"', tag[0])) + " ",
        text,
    )
    return sorted({line.strip() for line in re.split(r"\s{2,}|\n", text) if VIETNAMESE.search(line)})


# Routes not rendered here, and why; every other GET route of the map is opened by every role.
NOT_PAGES = {
    "static": "files, not pages",
    "portal.theme_css": "a stylesheet",
    "provinces.logo": "an image",
    "portal.healthz": "a health probe",
    "portal.switch_language": "a redirect that sets the cookie",
    "filing.slip": "slips are Vietnamese legal forms (PDF)",
    "office.slip": "slips are Vietnamese legal forms (PDF)",
    "office.control": "the control sheet is a Vietnamese legal form (PDF)",
    "office.tracking_book": "the tracking book is a Vietnamese legal form (xlsx)",
    "warehouse.download": "a file download",
    "dashboards.export": "a CSV/XLSX download",
    "dashboards.files_export": "a CSV/XLSX download",
    "statistics.public_export": "a CSV/XLSX download",
    "warehouse.office_document": "a file download",
    "warehouse.export": "a zip download",
    "payments.vnpay_ipn": "the gateway's JSON endpoint",
    "notifications.mailbox": "demo mode only",
    "survey_results.csv": "a file download",
    "survey_results.xlsx": "a file download",
    "survey_results.qr": "an image",
    "survey_results.export": "a file download",
    "feedback.attachment": "a file download",
    "feedback.office_attachment": "a file download",
}


@pytest.fixture
def world(app, demo, demo_pack, create_citizen, create_staff, monkeypatch, portal_signing):  # noqa: F811
    """The demo province with an application at each stage, and a signed-in client per role, all in English."""
    monkeypatch.setitem(app.config, "VNPAY_TMN_CODE", TMN_CODE)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)
    staff = {
        role: create_staff(getattr(Role, role.upper()) if role != "admin" else Role.PROVINCE_ADMIN, POLICE, name)
        for role, name in STAFF.items()
    }
    clerk, specialist, leader = (as_staff(app, staff[role]) for role in ("clerk", "specialist", "leader"))
    _citizen, paid, citizen_client = file_lltp(app, create_citizen)
    # A payment, made through the gateway's signed notification.
    params = start_paying(citizen_client, paid)
    assert citizen_client.get(f"/payments/vnpay/ipn?{signed(gateway_result(params))}").get_json()["RspCode"] == "00"

    def another(delivery: str = "online", **certificate) -> int:
        application_id = fill_all_steps(citizen_client, fee_category="exempt", **certificate)
        from tests.filing import send, upload

        upload(citizen_client, application_id, "the-can-cuoc", pdf_bytes())
        assert send(citizen_client, application_id, delivery=delivery).status_code == 302
        return application_id

    supplement, accepted, returned, posting = another(), another(), another(), another("post")
    assert (
        act(
            clerk,
            supplement,
            "request-supplement",
            {"document": "the-can-cuoc", "note-the-can-cuoc": NOTES["supplement"], "other": NOTES["other"]},
        ).status_code
        == 302
    )
    for application_id in (accepted, returned, posting):
        assert act(clerk, application_id, "accept").status_code == 302
        assert act(leader, application_id, "assign", {"specialist": staff["specialist"].id}).status_code == 302
    # Signed by the leader: one result came online (returned), one waits for the clerk to post it (approved).
    for application_id in (returned, posting):
        proposal = {"decision": "approve", "note": NOTES["proposal"]}
        assert act(specialist, application_id, "propose", proposal).status_code == 302
        approve_by_signing(portal_signing, leader, staff["leader"], application_id)
    draft = int(re.search(r"/applications/(\d+)/", start(citizen_client, LLTP))[1])
    answer(citizen_client, f"/applications/{draft}/steps/applicant", APPLICANT)

    clients = {"anonymous": app.test_client(), "citizen": citizen_client, "clerk": clerk}
    clients["specialist"], clients["leader"] = specialist, leader
    clients["admin"] = as_staff(app, staff["admin"])
    for client in clients.values():
        client.get("/")  # shows (and so clears) the messages flashed while the setup ran in Vietnamese
        client.set_cookie("lang", "en")
    db.session.expire_all()
    ids = [application.id for application in db.session.scalars(db.select(Application))]
    survey = bilingual_survey(staff["clerk"])
    feedback = sent_feedback(demo, db.session.get(Application, paid).applicant, POLICE)
    return {
        "clients": clients,
        "values": {
            "application_id": ids,
            "step_id": ["applicant", "certificate", "residence"],
            "slug": [procedure.slug_or_default() for procedure in demo_pack.procedures],
            "user_id": [user.id for user in staff.values()],
            "token": ["not-a-token"],
            "notice_id": [notice.id for notice in db.session.scalars(db.select(Notice))],
            "event": ["supplement_requested"],
            # The dashboards: every agency, and lists with and without files behind them.
            "agency_id": [agency.id for agency in db.session.scalars(db.select(Agency))],
            "list_key": ["received", "late", "overdue", "transferred"],
            "channel": ["email", "sms"],
            "language": ["en"],
            # The guide's questions and an answer of each (help.yaml).
            "question_id": [question.id for question in demo_pack.help.guide],
            "survey_id": [survey.id],
            "position": [1, 2],
            "key": ["q1", "q2"],
            "code": [survey.code, feedback.code],
            "feedback_id": [feedback.id],
            "number": [0, 1],  # a guide's answer (help), a survey's version
        },
        "draft": draft,
    }


def _urls(app, values: dict) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        missing = [argument for argument in rule.arguments if argument not in values]
        assert not missing, f"{rule.rule}: give the test values for {missing} or say why it is not a page"
        combinations = [{}]
        for argument in sorted(rule.arguments):
            combinations = [{**c, argument: value} for c in combinations for value in values[argument]]
        with app.test_request_context():
            from flask import url_for

            urls += [url_for(rule.endpoint, **combination) for combination in combinations]
    return sorted(set(urls))


def test_every_page_in_english_has_no_stray_vietnamese(app, world, demo_pack):
    allowed = _allowed(demo_pack)
    urls = _urls(app, world["values"])
    found: dict[str, list[str]] = {}
    pages = 0
    for role, client in world["clients"].items():
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, f"{role} {url}: {response.status_code}"
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            pages += 1
            stray = stray_vietnamese(response.get_data(as_text=True), allowed)
            if stray:
                found[f"{role} {url}"] = stray
    assert pages > 100
    assert not found, "\n".join(f"{page}: {' | '.join(stray)}" for page, stray in sorted(found.items()))


def test_the_detector_sees_vietnamese_and_lets_english_and_allowed_text_through():
    assert stray_vietnamese("<p>Thứ Bảy 05/12/2026: không tính</p>", []) == ["Thứ Bảy 05/12/2026: không tính"]
    assert stray_vietnamese('<input value="Hà Nội">', []) == ["Hà Nội"]
    assert stray_vietnamese("<p>Saturday 05/12/2026: not counted</p><script>x='ố'</script>", []) == []
    assert stray_vietnamese("<p>Applicant: Nguyễn Thị Mai</p>", ["Nguyễn Thị Mai"]) == []
