"""Full-process online filing: one step per page, drafts, conditions, groups, documents, submission, lookup."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from onestop import localtime
from onestop.accounts.models import User
from onestop.datastore.models import Document
from onestop.extensions import db
from onestop.procedures.models import Application, ApplicationEvent
from tests.conftest import login, outbox, submit
from tests.filing import (
    APPLICANT,
    CERTIFICATE,
    LLTP,
    answer,
    fill_all_steps,
    pdf_bytes,
    send,
    start,
    upload,
)


@pytest.fixture
def citizen(demo, create_citizen):
    return create_citizen(full_name="Nguyễn Thị Mai", citizen_id="001190012345", phone="0912345678")


@pytest.fixture
def signed_in(client, citizen):
    login(client, citizen.email)
    return client


def test_signing_in_comes_before_applying(client, demo):
    html = client.get(f"/procedures/{LLTP}").get_data(as_text=True)
    assert f'href="/account/login?next=/procedures/{LLTP}"' in html
    assert client.post(f"/procedures/{LLTP}/apply").status_code in (302, 400)


def test_first_step_is_prefilled_from_the_profile_and_shows_progress(signed_in):
    url = start(signed_in)
    assert url.endswith("/steps/applicant")
    html = signed_in.get(url).get_data(as_text=True)
    assert 'value="Nguyễn Thị Mai"' in html and 'value="001190012345"' in html and 'value="0912345678"' in html
    assert re.search(r"(Bước|Step) 1\D+5", html)
    # Addresses are picked from the pack's list of units.
    assert "Phường Đông Thành" in html and "Huyện Tân Lập" in html


def test_a_step_with_mistakes_keeps_every_answer_and_saves_nothing(signed_in):
    url = start(signed_in)
    response = answer(signed_in, url, {**APPLICANT, "gender": "", "birth_date-day": "31", "birth_date-month": "2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#gender"' in html and 'href="#birth_date-day"' in html
    assert 'value="31"' in html and 'value="12 Đường Lê Lợi"' in html and 'value="Nguyễn Thị Mai"' in html
    assert db.session.scalar(select(Application)).answers == {}


def test_dates_in_the_future_are_refused(signed_in):
    url = start(signed_in)
    response = answer(signed_in, url, {**APPLICANT, "birth_date-year": str(date.today().year + 1)})
    assert response.status_code == 422 and 'href="#birth_date-day"' in response.get_data(as_text=True)


def test_each_step_is_saved_and_the_draft_can_be_resumed(signed_in):
    url = start(signed_in)
    response = answer(signed_in, url, APPLICANT)
    assert response.headers["Location"].endswith("/steps/certificate")
    application = db.session.scalar(select(Application))
    assert application.answers["birth_date"] == "1990-03-27"
    assert application.answers["address"] == {"unit": "99101", "street": "12 Đường Lê Lợi"}
    mine = signed_in.get("/applications").get_data(as_text=True)
    assert f"/applications/{application.id}/steps/certificate" in mine
    # Starting the same procedure again resumes the draft instead of opening a second one.
    assert start(signed_in).endswith(f"/applications/{application.id}/steps/certificate")
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_a_step_shown_only_when_an_earlier_answer_calls_for_it(signed_in):
    application_id = fill_all_steps(signed_in)
    # "No" to having lived elsewhere: no places asked, and the next stop is the documents.
    assert "places" not in db.session.get(Application, application_id).answers
    step = f"/applications/{application_id}/steps/residence"
    response = answer(signed_in, step, {"lived_elsewhere": "yes"})
    assert response.status_code == 422  # "yes" needs at least one place
    assert 'href="#places-0-place"' in response.get_data(as_text=True)


def test_a_repeating_group_grows_and_shrinks_without_javascript(signed_in):
    application_id = fill_all_steps(signed_in)
    step = f"/applications/{application_id}/steps/residence"
    typed = {
        "lived_elsewhere": "yes",
        "places-0-place": "Hà Nội",
        "places-0-from_year": "2008",
        "places-0-to_year": "2012",
    }
    grown = submit(signed_in, step, {**typed, "action": "add:places"})
    html = grown.get_data(as_text=True)
    assert 'name="places-1-place"' in html and 'value="Hà Nội"' in html
    both = {**typed, "places-1-place": "Đà Nẵng", "places-1-from_year": "2012", "places-1-to_year": "2015"}
    shrunk = submit(signed_in, step, {**both, "action": "remove:places:0"})
    html = shrunk.get_data(as_text=True)
    assert 'value="Đà Nẵng"' in html and 'value="Hà Nội"' not in html and 'name="places-1-place"' not in html
    saved = answer(signed_in, step, both)
    assert saved.status_code == 302
    places = db.session.get(Application, application_id).answers["places"]
    assert [p["place"] for p in places] == ["Hà Nội", "Đà Nẵng"] and places[0]["from_year"] == 2008


def test_a_request_cannot_make_a_group_grow_past_its_max_items(signed_in):
    """A 241-byte POST naming item 49,999 once made a 54 MB page; the group declares at most 8 places."""
    application_id = fill_all_steps(signed_in)
    step = f"/applications/{application_id}/steps/residence"
    typed = {"lived_elsewhere": "yes", "places-0-place": "Hà Nội", "places-0-from_year": "2008"}
    for attack in ({"places-49999-place": "x", "action": "add:places"}, {"places-99999999999-place": "x"}):
        response = submit(signed_in, step, {**typed, **attack})
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 422) and len(html) < 200_000
        assert 'name="places-7-place"' in html or "action" not in attack
        assert 'name="places-8-place"' not in html
    # Something typed beyond the last place allowed is refused, not silently dropped.
    beyond = submit(signed_in, step, {**typed, "places-0-to_year": "2012", "places-8-place": "Huế"})
    assert beyond.status_code == 422 and "Bạn chỉ có thể thêm tối đa 8 mục." in beyond.get_data(as_text=True)
    assert "places" not in db.session.get(Application, application_id).answers
    # At the limit the button adds nothing more; a button naming no item changes nothing.
    full = {**typed, **{f"places-{n}-place": f"Nơi {n}" for n in range(8)}}
    assert 'name="places-8-place"' not in submit(signed_in, step, {**full, "action": "add:places"}).get_data(
        as_text=True
    )
    for action in ("remove:places:abc", "remove:places:99", "remove:nothing:0", "add:", "remove:places:²"):
        assert submit(signed_in, step, {**typed, "action": action}).status_code == 200, action


def test_a_date_with_a_twenty_digit_year_is_a_mistake_not_an_error(signed_in):
    application_id = fill_all_steps(signed_in)
    response = answer(
        signed_in, f"/applications/{application_id}/steps/applicant", {**APPLICANT, "birth_date-year": "9" * 20}
    )
    assert response.status_code == 422 and "Nhập một ngày có thật" in response.get_data(as_text=True)


def test_a_paper_takes_at_most_ten_files_unless_the_procedure_says(signed_in):
    application_id = fill_all_steps(signed_in)
    for number in range(10):
        assert upload(signed_in, application_id, "the-can-cuoc", pdf_bytes(), f"trang-{number}.pdf").status_code == 302
    eleventh = upload(signed_in, application_id, "the-can-cuoc", pdf_bytes(), "trang-10.pdf")
    assert eleventh.status_code == 422
    assert "Có thể đính kèm tối đa 10 tệp cho giấy tờ này" in eleventh.get_data(as_text=True)
    assert len(db.session.get(Application, application_id).documents) == 10
    assert db.session.scalar(select(func.count()).select_from(Document)) == 10


def test_review_lists_every_answer_with_a_change_link_that_comes_back(signed_in):
    application_id = fill_all_steps(signed_in)
    html = signed_in.get(f"/applications/{application_id}/review").get_data(as_text=True)
    for shown in ("Nguyễn Thị Mai", "27/03/1990", "12 Đường Lê Lợi, Phường Đông Thành", "Bổ sung hồ sơ xin việc"):
        assert shown in html, shown
    assert f"/applications/{application_id}/steps/certificate?change=1" in html
    response = answer(
        signed_in, f"/applications/{application_id}/steps/certificate?change=1", {**CERTIFICATE, "copies": "3"}
    )
    assert response.headers["Location"] == f"/applications/{application_id}/review"


def test_submitting_needs_the_required_documents(signed_in):
    application_id = fill_all_steps(signed_in)
    response = send(signed_in, application_id)
    assert response.status_code == 422
    assert db.session.get(Application, application_id).state == "draft"


def test_upload_checked_by_content_keeps_the_answers(signed_in):
    application_id = fill_all_steps(signed_in)
    response = upload(signed_in, application_id, "the-can-cuoc", b"just some text", filename="cccd.pdf")
    assert response.status_code == 422
    assert 'id="file-the-can-cuoc-error"' in response.get_data(as_text=True)
    assert db.session.get(Application, application_id).answers["full_name"] == "Nguyễn Thị Mai"
    assert upload(signed_in, application_id, "the-can-cuoc", pdf_bytes()).status_code == 302
    [document] = db.session.scalars(select(Document)).all()
    assert document.document_type_code == "the-can-cuoc" and document.source_application_id == application_id


def test_submit_gives_a_code_a_pin_a_receipt_and_an_email_once(signed_in, citizen):
    application_id = fill_all_steps(signed_in)
    upload(signed_in, application_id, "the-can-cuoc", pdf_bytes())
    first = send(signed_in, application_id)
    assert first.headers["Location"] == f"/applications/{application_id}/receipt"
    application = db.session.get(Application, application_id)
    today = localtime.today().strftime("%y%m%d")  # the province's day, not the machine's
    assert application.state == "submitted" and application.code == f"000.00.02.H99-{today}-0001"
    receipt = signed_in.get(first.headers["Location"]).get_data(as_text=True)
    assert application.code in receipt.replace("<wbr>", "")
    pin = re.search(r'<strong class="code">([2-9A-HJ-NP-Z]{6})</strong>', receipt)[1]
    [mail] = [m for m in outbox("email") if m.event == "application_submitted"]
    assert application.code in mail.body and pin in mail.body and mail.user_id == citizen.id
    # A double click or a retried request files once: same code, no second e-mail or event.
    again = send(signed_in, application_id, page="/applications")
    assert again.headers["Location"] == f"/applications/{application_id}/receipt"
    db.session.refresh(application)
    assert application.code.endswith("-0001")
    assert len([m for m in outbox("email") if m.event == "application_submitted"]) == 1
    assert db.session.scalar(select(func.count()).where(ApplicationEvent.action == "submit")) == 1


def test_codes_follow_each_other_per_agency_and_day(signed_in, client, create_citizen):
    first = fill_all_steps(signed_in)
    upload(signed_in, first, "the-can-cuoc", pdf_bytes())
    send(signed_in, first)
    other = create_citizen(full_name="Lê Văn Nam", citizen_id="001090054321")
    second_client = client.application.test_client()
    login(second_client, other.email)
    second = fill_all_steps(second_client)
    upload(second_client, second, "the-can-cuoc", pdf_bytes())
    send(second_client, second)
    codes = sorted(db.session.scalars(select(Application.code)))
    assert [code[-4:] for code in codes] == ["0001", "0002"]


def test_status_lookup_with_the_citizen_id_or_the_pin_and_nothing_else(signed_in, client):
    application_id = fill_all_steps(signed_in)
    upload(signed_in, application_id, "the-can-cuoc", pdf_bytes())
    send(signed_in, application_id)
    receipt = signed_in.get(f"/applications/{application_id}/receipt").get_data(as_text=True)
    pin = re.search(r'<strong class="code">([2-9A-HJ-NP-Z]{6})</strong>', receipt)[1]
    code = db.session.get(Application, application_id).code
    anonymous = client.application.test_client()
    found = submit(anonymous, "/status", {"code": code, "secret": "001190012345"})
    assert found.status_code == 200 and "Công an tỉnh Minh Sơn" in found.get_data(as_text=True)
    assert submit(anonymous, "/status", {"code": code.lower(), "secret": pin.lower()}).status_code == 200
    wrong = submit(anonymous, "/status", {"code": code, "secret": "001190054321"})
    unknown = submit(anonymous, "/status", {"code": code[:-1] + "9", "secret": "001190012345"})
    assert wrong.status_code == unknown.status_code == 404
    assert "Nguyễn Thị Mai" not in wrong.get_data(as_text=True)


def test_timeline_and_withdrawal(signed_in):
    application_id = fill_all_steps(signed_in)
    upload(signed_in, application_id, "the-can-cuoc", pdf_bytes())
    send(signed_in, application_id)
    html = signed_in.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Công an tỉnh Minh Sơn" in html  # who holds it now
    response = submit(signed_in, f"/applications/{application_id}/withdraw", {"reason": "Nộp nhầm"})
    assert response.status_code == 302
    application = db.session.get(Application, application_id)
    assert application.state == "withdrawn"
    assert [e.action for e in application.events] == ["create", "submit", "withdraw"]
    assert "Nộp nhầm" in signed_in.get(f"/applications/{application_id}").get_data(as_text=True)


def test_another_citizen_cannot_reach_the_application(signed_in, client, create_citizen):
    application_id = fill_all_steps(signed_in)
    intruder = client.application.test_client()
    login(intruder, create_citizen(citizen_id="001090099999").email)
    for url in (
        f"/applications/{application_id}",
        f"/applications/{application_id}/steps/applicant",
        f"/applications/{application_id}/review",
        f"/applications/{application_id}/documents",
    ):
        assert intruder.get(url).status_code == 404, url
    assert submit(intruder, f"/applications/{application_id}/withdraw", {}, page="/applications").status_code == 404


def test_a_document_already_held_is_offered_for_reuse(signed_in, citizen):
    first = fill_all_steps(signed_in)
    upload(signed_in, first, "the-can-cuoc", pdf_bytes())
    send(signed_in, first)
    second = fill_all_steps(signed_in)
    page = signed_in.get(f"/applications/{second}/documents").get_data(as_text=True)
    held = db.session.scalar(select(Document))
    assert f'value="{held.id}"' in page
    response = submit(
        signed_in, f"/applications/{second}/documents", {"action": "reuse", "type": "the-can-cuoc", "document": held.id}
    )
    assert response.status_code == 302
    assert [link.document_id for link in db.session.get(Application, second).documents] == [held.id]
    # An expired document is not offered.
    held.expires_on = date(2020, 1, 1)
    db.session.commit()
    third_page = signed_in.get(f"/applications/{second}/documents").get_data(as_text=True)
    assert "Reuse" not in third_page and "Dùng lại" not in third_page


def test_answers_given_once_prefill_the_next_filing(signed_in, citizen):
    first = fill_all_steps(signed_in)
    upload(signed_in, first, "the-can-cuoc", pdf_bytes())
    send(signed_in, first)
    assert db.session.get(User, citizen.id).facts["birth_date"] == "1990-03-27"
    url = start(signed_in)
    html = signed_in.get(url).get_data(as_text=True)
    assert 'value="27"' in html and 'value="1990"' in html and 'value="12 Đường Lê Lợi"' in html


def test_the_application_keeps_the_procedure_version_it_was_filed_under(signed_in, demo_pack):
    import dataclasses

    from onestop.provinces.services import apply_pack

    application_id = fill_all_steps(signed_in)
    upload(signed_in, application_id, "the-can-cuoc", pdf_bytes())
    send(signed_in, application_id)
    # The province edits the procedure: the next load makes version 2 for new filings.
    edited = [
        p.model_copy(update={"keywords": [*p.keywords, "thay doi"]}) if p.code == "MS.LLTP.01" else p
        for p in demo_pack.procedures
    ]
    apply_pack(dataclasses.replace(demo_pack, procedures=edited))
    db.session.commit()
    application = db.session.get(Application, application_id)
    assert application.procedure.version == 2
    assert application.procedure_version.number == 1
    assert "thay doi" not in application.definition["keywords"]


def test_two_simultaneous_submits_file_once(signed_in, citizen):
    """A double click sends two requests at once: one files, the other lands on the same receipt."""
    from concurrent.futures import ThreadPoolExecutor

    application_id = fill_all_steps(signed_in)
    upload(signed_in, application_id, "the-can-cuoc", pdf_bytes())
    review = signed_in.get(f"/applications/{application_id}/review").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', review)[1]

    def post(_):
        return signed_in.post(
            f"/applications/{application_id}/submit", data={"csrf_token": token, "delivery": "online"}
        ).headers.get("Location")

    with ThreadPoolExecutor(max_workers=4) as pool:
        locations = list(pool.map(post, range(4)))
    assert locations == [f"/applications/{application_id}/receipt"] * 4
    assert db.session.scalar(select(func.count()).where(ApplicationEvent.action == "submit")) == 1
    assert db.session.scalar(select(func.count()).where(Application.code.is_not(None))) == 1


def test_every_filing_page_has_a_way_back(signed_in):
    application_id = fill_all_steps(signed_in)
    base = f"/applications/{application_id}"
    pages = {
        f"{base}/steps/applicant": f'href="/procedures/{LLTP}"',
        f"{base}/steps/certificate": f'href="{base}/steps/applicant"',
        f"{base}/documents": f'href="{base}/steps/residence"',
        f"{base}/review": f'href="{base}/documents"',
    }
    for url, back in pages.items():
        html = signed_in.get(url).get_data(as_text=True)
        assert f'<a class="back" {back}' in html, url


def test_simultaneous_filings_are_all_counted(signed_in, client, create_citizen):
    """How often a procedure is filed orders the home page: concurrent submissions must all count."""
    from concurrent.futures import ThreadPoolExecutor

    from onestop.procedures.models import Procedure

    clients = [signed_in]
    for n in range(3):
        other = client.application.test_client()
        login(other, create_citizen(citizen_id=f"00109005432{n}").email)
        clients.append(other)
    ready = []
    for each in clients:
        application_id = fill_all_steps(each)
        upload(each, application_id, "the-can-cuoc", pdf_bytes())
        review = each.get(f"/applications/{application_id}/review").get_data(as_text=True)
        ready.append((each, application_id, re.search(r'name="csrf_token" value="([^"]+)"', review)[1]))

    def post(item):
        each, application_id, token = item
        return each.post(f"/applications/{application_id}/submit", data={"csrf_token": token, "delivery": "online"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(r.status_code == 302 for r in pool.map(post, ready))
    count = db.session.scalar(select(Procedure.filing_count).where(Procedure.code == "MS.LLTP.01"))
    assert count == 4
    assert len(set(db.session.scalars(select(Application.code)))) == 4


def test_a_phone_number_given_in_the_first_filing_prefills_the_next(client, demo, create_citizen):
    """A citizen registered by e-mail types a phone number once; the next filing offers it again."""
    citizen = create_citizen(full_name="Trần Văn Bình", citizen_id="001190054321", phone=None)
    login(client, citizen.email)
    first = fill_all_steps(client)
    upload(client, first, "the-can-cuoc", pdf_bytes())
    send(client, first)
    html = client.get(start(client)).get_data(as_text=True)
    assert 'value="0912345678"' in html
