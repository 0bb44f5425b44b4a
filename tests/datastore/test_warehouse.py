"""The personal data warehouse through the browser's eyes: uploading ahead, the list with expiry marks,
reuse when filing, downloads and the read log, who may read what, the data download and account closure.
"""

import hashlib
import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from onestop.accounts.models import Role, User
from onestop.datastore.backends import LocalStorage
from onestop.datastore.models import Blob, Document, DocumentAccess
from onestop.extensions import db
from onestop.procedures.models import Application
from tests.conftest import PASSWORD, csrf_token, login, outbox, submit
from tests.datastore.conftest import image_bytes, pdf_bytes, pdf_with
from tests.filing import fill_all_steps, send, upload

POLICE = "000.00.02.H99"  # receives the criminal record certificate applications
DISTRICT = "000.00.30.H99"


@pytest.fixture
def citizen(demo, create_citizen):
    return create_citizen(full_name="Nguyễn Thị Mai", citizen_id="001190012345", phone="0912345678")


def signed_in_client(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")
    login(client, user.email)
    return client


@pytest.fixture
def mai(app, citizen):
    return signed_in_client(app, citizen)


def put_in_warehouse(client, content: bytes | None = None, filename="cccd.pdf", **fields):
    data = {
        "document_type": "the-can-cuoc",
        "title": "Thẻ căn cước của tôi",
        "issuer": "Cục Cảnh sát QLHC về TTXH",
        "number": "001190012345",
        "issued_day": "15",
        "issued_month": "4",
        "issued_year": "2021",
        "expires_day": "27",
        "expires_month": "3",
        "expires_year": "2030",
        **fields,
    }
    token = csrf_token(client.get("/warehouse/upload").get_data(as_text=True))
    files = {"file": (io.BytesIO(content if content is not None else pdf_bytes()), filename)}
    return client.post(
        "/warehouse/upload", data={**data, **files, "csrf_token": token}, content_type="multipart/form-data"
    )


def document_titled(title: str) -> Document:
    return db.session.scalar(select(Document).where(Document.title == title))


def filed_application(client) -> tuple[int, Document]:
    """A criminal record certificate application sent with one uploaded ID card."""
    application_id = fill_all_steps(client)
    assert upload(client, application_id, "the-can-cuoc", pdf_bytes()).status_code == 302
    assert send(client, application_id).status_code == 302
    return application_id, db.session.scalar(select(Document).where(Document.source_application_id == application_id))


def blob_store(app) -> LocalStorage:
    return LocalStorage(app.config["BLOB_DIR"])


def row_of(html: str, text: str) -> str:
    """The first table row holding the text."""
    rows = (row.split("</tr>")[0] for row in html.split("<tr>"))
    return next(row for row in rows if text in row)


# --- uploading ahead and the list ----------------------------------------------------------------


def test_a_document_uploaded_ahead_keeps_its_details(mai, citizen):
    response = put_in_warehouse(mai)
    assert response.status_code == 302 and response.headers["Location"] == "/warehouse"
    document = document_titled("Thẻ căn cước của tôi")
    assert document.owner_id == citizen.id and document.document_type_code == "the-can-cuoc"
    assert document.issuer == "Cục Cảnh sát QLHC về TTXH" and document.number == "001190012345"
    assert document.issued_on == date(2021, 4, 15) and document.expires_on == date(2030, 3, 27)
    assert document.provenance == "uploaded" and document.source_application_id is None
    html = mai.get("/warehouse").get_data(as_text=True)
    row = row_of(html, "Thẻ căn cước của tôi")
    for shown in (
        "Citizen ID card",
        "Cục Cảnh sát QLHC về TTXH",
        "001190012345",
        "15/04/2021",
        "27/03/2030",
        "cccd.pdf",
    ):
        assert shown in row, shown
    assert "Uploaded by you" in row and '<th scope="row">' in html


def test_the_list_marks_expired_and_soon_expiring_documents_in_words(mai):
    soon, later = date.today() + timedelta(days=10), date.today() + timedelta(days=400)
    put_in_warehouse(mai, title="Hộ chiếu cũ", expires_day="1", expires_month="2", expires_year="2022")
    put_in_warehouse(
        mai, title="Sắp hết hạn", expires_day=str(soon.day), expires_month=str(soon.month), expires_year=str(soon.year)
    )
    put_in_warehouse(
        mai, title="Còn hạn", expires_day=str(later.day), expires_month=str(later.month), expires_year=str(later.year)
    )
    put_in_warehouse(mai, title="Không hết hạn", expires_day="", expires_month="", expires_year="")
    html = mai.get("/warehouse").get_data(as_text=True)
    assert "Expired" in row_of(html, "Hộ chiếu cũ") and "Expires soon" not in row_of(html, "Hộ chiếu cũ")
    assert "Expires soon" in row_of(html, "Sắp hết hạn")
    for fine in ("Còn hạn", "Không hết hạn"):
        assert "Expired" not in row_of(html, fine) and "Expires soon" not in row_of(html, fine)


def test_an_invalid_upload_keeps_every_typed_value_and_stores_nothing(mai, app):
    response = put_in_warehouse(mai, content=b"just some text", filename="cccd.pdf")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#file"' in html and 'id="file-error-1"' in html and "Only PDF, JPEG and PNG" in html
    for kept in ("Thẻ căn cước của tôi", "Cục Cảnh sát QLHC về TTXH", 'value="2021"', 'value="2030"'):
        assert kept in html, kept
    assert re.search(r'<option (selected value="the-can-cuoc"|value="the-can-cuoc" selected)', html)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    # A date that does not exist is refused at the date, before the file is even looked at.
    wrong_date = put_in_warehouse(mai, issued_day="31", issued_month="2")
    assert wrong_date.status_code == 422 and 'href="#issued_day"' in wrong_date.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 0


def test_a_pdf_with_javascript_is_refused_on_the_form_keeping_what_was_typed(mai):
    active = pdf_with(root={"/OpenAction": {"/S": "/JavaScript", "/JS": "app.alert(1)"}})
    response = put_in_warehouse(mai, content=active, filename="cccd.pdf")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error-1"' in html and "This PDF contains JavaScript (a program)" in html
    for kept in ("Thẻ căn cước của tôi", "Cục Cảnh sát QLHC về TTXH", "001190012345", 'value="2021"'):
        assert kept in html, kept
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 0


def test_a_file_over_the_limit_gets_the_form_back_with_everything_typed(mai):
    """An 11 MB scan (the limit is 10 MB) once got a bare 413 page; the title and issuer were lost."""
    too_large = pdf_bytes() + b"%" * (11 * 1024 * 1024)
    response = put_in_warehouse(mai, content=too_large, filename="cccd.pdf")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error-1"' in html and "The file is larger than 10 MB" in html
    for kept in ("Thẻ căn cước của tôi", "Cục Cảnh sát QLHC về TTXH", "001190012345", 'value="2021"', 'value="2030"'):
        assert kept in html, kept
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 0


def test_a_request_beyond_the_ceiling_is_refused_with_a_way_back(mai, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 3 * 1024 * 1024)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024 * 1024)
    response = put_in_warehouse(mai, content=pdf_bytes() + b"%" * (4 * 1024 * 1024))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "what you typed is usually still in the form" in html and "at most 1 MB" in html


def test_a_file_is_kept_and_served_under_the_name_of_what_it_is(mai):
    """A PNG sent as "anh.exe" (or "good.pdf<NUL>.exe") is stored as a .png and downloaded as an attachment."""
    content = image_bytes("PNG")
    assert put_in_warehouse(mai, content=content, filename="anh.exe").status_code == 302
    document = document_titled("Thẻ căn cước của tôi")
    assert document.filename == "anh.png"
    response = mai.get(f"/warehouse/{document.id}/download")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "attachment; filename=anh.png"


def test_a_document_uploaded_ahead_is_offered_when_filing(mai):
    put_in_warehouse(mai)
    held = document_titled("Thẻ căn cước của tôi")
    application_id = fill_all_steps(mai)
    page = mai.get(f"/applications/{application_id}/documents").get_data(as_text=True)
    assert f'value="{held.id}"' in page
    response = submit(
        mai,
        f"/applications/{application_id}/documents",
        {"action": "reuse", "type": "the-can-cuoc", "document": held.id},
    )
    assert response.status_code == 302
    assert [link.document_id for link in db.session.get(Application, application_id).documents] == [held.id]
    assert send(mai, application_id).status_code == 302


# --- reading and the read log -------------------------------------------------------------------


def test_the_owner_downloads_and_sees_the_download_in_the_log(mai, citizen):
    content = pdf_bytes()
    put_in_warehouse(mai, content=content, filename="căn cước.pdf")
    document = document_titled("Thẻ căn cước của tôi")
    response = mai.get(f"/warehouse/{document.id}/download", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and response.data == content
    assert "Content-Encoding" not in response.headers  # a download leaves exactly as it was stored
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''c%C4%83n%20c%C6%B0%E1%BB%9Bc.pdf" in disposition
    [read] = db.session.scalars(select(DocumentAccess)).all()
    assert (read.reader_id, read.reason, read.application_id) == (citizen.id, "download by owner", None)
    log = mai.get("/warehouse/log").get_data(as_text=True)
    row = row_of(log, "Thẻ căn cước của tôi")
    assert '<th scope="col">' in log and "You" in row and "You downloaded it" in row


def test_another_citizen_is_told_the_document_does_not_exist(mai, app, create_citizen):
    put_in_warehouse(mai)
    document = document_titled("Thẻ căn cước của tôi")
    intruder = signed_in_client(app, create_citizen(citizen_id="001090099999"))
    for url in (f"/warehouse/{document.id}/download", f"/warehouse/{document.id + 1}/download"):
        assert intruder.get(url).status_code == 404, url
    assert intruder.get(f"/office/documents/{document.id}").status_code == 404
    assert "Thẻ căn cước" not in intruder.get("/warehouse").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DocumentAccess)) == 0


def test_staff_of_the_receiving_agency_read_a_sent_application_and_the_owner_sees_it(
    mai, app, citizen, create_staff, create_citizen
):
    application_id, document = filed_application(mai)
    code = db.session.get(Application, application_id).code
    assert code in row_of(mai.get("/warehouse").get_data(as_text=True), "scan.pdf")
    officer = create_staff(role=Role.SPECIALIST, agency_code=POLICE, full_name="Lê Văn Công")
    office = signed_in_client(app, officer)
    response = office.get(f"/office/documents/{document.id}?application={application_id}")
    assert response.status_code == 200 and response.data == blob_store(app).open(document.blob_sha256).read()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    read = db.session.scalar(select(DocumentAccess).where(DocumentAccess.reader_id == officer.id))
    assert read.reason == f"processing application {code}" and read.application_id == application_id
    row = row_of(mai.get("/warehouse/log").get_data(as_text=True), "Lê Văn Công")
    assert "Specialist" in row and "Minh Son Provincial Police" in row and f"Processing application {code}" in row
    # Without the application, or for an application that does not hold the document: as if it did not exist.
    assert office.get(f"/office/documents/{document.id}").status_code == 404
    other = signed_in_client(app, create_citizen(citizen_id="001090099999"))
    other_application, _ = filed_application(other)
    assert office.get(f"/office/documents/{document.id}?application={other_application}").status_code == 404
    # Staff of another agency, and the owner on the back-office route, are told the same.
    district = signed_in_client(app, create_staff(agency_code=DISTRICT))
    assert district.get(f"/office/documents/{document.id}?application={application_id}").status_code == 404
    assert mai.get(f"/office/documents/{document.id}?application={application_id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(DocumentAccess)) == 1


def test_staff_cannot_read_the_documents_of_a_draft(mai, app, create_staff):
    application_id = fill_all_steps(mai)
    upload(mai, application_id, "the-can-cuoc", pdf_bytes())
    document = db.session.scalar(select(Document))
    office = signed_in_client(app, create_staff(agency_code=POLICE))
    assert office.get(f"/office/documents/{document.id}?application={application_id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(DocumentAccess)) == 0


# --- downloading all one's data -----------------------------------------------------------------


def test_the_data_download_holds_the_json_files_and_every_document(mai, citizen):
    application_id, attached = filed_application(mai)
    picture = image_bytes("PNG")
    put_in_warehouse(mai, content=picture, filename="ảnh.png", title="Ảnh chân dung")
    page = mai.get("/account/export").get_data(as_text=True)
    assert "profile.json" in page and "applications.json" in page
    response = submit(mai, "/account/export", {})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    profile = json.loads(archive.read("profile.json"))
    assert profile["citizen_id"] == "001190012345" and profile["full_name"] == "Nguyễn Thị Mai"
    assert profile["facts"]["birth_date"] == "1990-03-27"
    [application] = json.loads(archive.read("applications.json"))
    filed = db.session.get(Application, application_id)
    assert application["code"] == filed.code and application["procedure_code"] == "MS.LLTP.01"
    assert application["procedure_version"] == 1 and application["state"] == "submitted"
    assert application["answers"]["full_name"] == "Nguyễn Thị Mai"
    assert [event["action"] for event in application["events"]] == ["create", "submit"]
    documents = {entry["title"]: entry for entry in json.loads(archive.read("documents.json"))}
    assert documents["Ảnh chân dung"]["issuer"] == "Cục Cảnh sát QLHC về TTXH"
    assert documents["Ảnh chân dung"]["expires_on"] == "2030-03-27"
    for entry in documents.values():
        content = archive.read(entry["file"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
    assert f"documents/{attached.id}-scan.pdf" in archive.namelist()
    assert hashlib.sha256(archive.read(documents["Ảnh chân dung"]["file"])).digest() == hashlib.sha256(picture).digest()
    reads = db.session.scalars(select(DocumentAccess)).all()
    assert len(reads) == 2 and {read.reason for read in reads} == {"export"}


# --- closing the account ------------------------------------------------------------------------


def close(client, password=PASSWORD):
    return submit(client, "/account/close", {"password": password})


def test_a_wrong_password_closes_nothing(mai, citizen):
    email = citizen.email
    put_in_warehouse(mai)
    response = close(mai, "not my password")
    assert response.status_code == 422 and 'href="#password"' in response.get_data(as_text=True)
    user = db.session.get(User, citizen.id)
    assert user.is_active and user.email == email and user.citizen_id == "001190012345"
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    assert mai.get("/warehouse").status_code == 200


def test_an_account_with_an_application_being_handled_cannot_be_closed(mai, citizen):
    application_id, _ = filed_application(mai)
    page = mai.get("/account/close").get_data(as_text=True)
    assert db.session.get(Application, application_id).code in page
    response = close(mai)
    assert response.status_code == 422 and "Withdraw them or wait" in response.get_data(as_text=True)
    assert db.session.get(User, citizen.id).is_active


def test_closing_keeps_filed_applications_and_erases_the_rest(mai, app, citizen):
    email = citizen.email
    application_id, attached = filed_application(mai)
    assert submit(mai, f"/applications/{application_id}/withdraw", {"reason": "Đóng tài khoản"}).status_code == 302
    # A paper uploaded ahead, a copy of the filed one (same bytes), and a draft with its own upload.
    put_in_warehouse(mai, content=image_bytes("PNG"), filename="ảnh.png", title="Ảnh chân dung")
    put_in_warehouse(mai, title="Bản sao")
    draft_id = fill_all_steps(mai)
    upload(mai, draft_id, "the-can-cuoc", image_bytes("JPEG"), filename="draft.jpg")
    unattached = {d.id: d.blob_sha256 for d in db.session.scalars(select(Document).where(Document.id != attached.id))}
    assert len(unattached) == 3
    assert document_titled("Bản sao").blob_sha256 == attached.blob_sha256
    store = blob_store(app)
    assert all(store.exists(sha256) for sha256 in unattached.values())

    response = close(mai)
    assert response.status_code == 302 and response.headers["Location"] == "/account/closed"
    assert "Your account is closed" in mai.get("/account/closed").get_data(as_text=True)

    user = db.session.get(User, citizen.id)
    assert user.full_name == "Tài khoản đã đóng" and not user.is_active
    assert (user.citizen_id, user.email, user.phone, user.password_hash, user.facts) == (None, None, None, None, {})
    # The filed application and its document stay, with the file.
    application = db.session.get(Application, application_id)
    assert application.state == "withdrawn" and [link.document_id for link in application.documents] == [attached.id]
    assert db.session.get(Document, attached.id) is not None and store.exists(attached.blob_sha256)
    # Everything else is gone, files included, except bytes the kept document still uses.
    assert db.session.get(Application, draft_id) is None
    assert [d.id for d in db.session.scalars(select(Document))] == [attached.id]
    for sha256 in set(unattached.values()) - {attached.blob_sha256}:
        assert not store.exists(sha256) and db.session.get(Blob, sha256) is None
    # The confirmation went to the address that was erased; the citizen is signed out and cannot sign in again.
    assert outbox("email")[-1].recipient == email and "closed" in outbox("email")[-1].subject
    assert mai.get("/warehouse").status_code == 302
    for login_name in (email, "001190012345", "0912345678"):
        assert login(mai, login_name).status_code == 422


def test_two_citizens_uploading_the_same_file_at_once_both_keep_it(app, citizen, create_citizen):
    """The blob row is written once even when both uploads reach the database together."""
    from concurrent.futures import ThreadPoolExecutor

    other = create_citizen(full_name="Lê Văn Nam", citizen_id="001090054321")
    clients = [signed_in_client(app, user) for user in (citizen, other)]
    drafts = [fill_all_steps(client) for client in clients]
    content = pdf_bytes()

    def send_file(index: int) -> int:
        return upload(clients[index], drafts[index], "the-can-cuoc", content).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(send_file, range(2))) == [302, 302]
    sha256 = hashlib.sha256(content).hexdigest()
    assert db.session.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == sha256)) == 1
    owners = db.session.scalars(select(Document.owner_id).where(Document.blob_sha256 == sha256)).all()
    assert sorted(owners) == sorted([citizen.id, other.id])
