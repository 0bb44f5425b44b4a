"""Receiving by address and by the citizen's choice, through the filing pages."""

import re
import shutil

import pytest
from sqlalchemy import select

from onestop.extensions import db
from onestop.procedures import services
from onestop.procedures.filing import start_counter_application
from onestop.procedures.models import Application, Procedure
from onestop.provinces.models import Agency
from onestop.provinces.pack import read_pack
from onestop.provinces.services import apply_pack
from tests.conftest import DEMO_PACK, login
from tests.filing import answer, pdf_bytes, send, start, upload

LT = "lien-thong-khai-sinh-thuong-tru-bao-hiem-y-te"
CHILD = {
    "child_name": "Lê Minh Khang",
    "child_gender": "male",
    "child_birth_date-day": "3",
    "child_birth_date-month": "11",
    "child_birth_date-year": "2026",
    "has_birth_certificate": "yes",
}
OWNER = {
    "full_name": "Nguyễn Thị Mai",
    "birth_date-day": "27",
    "birth_date-month": "3",
    "birth_date-year": "1990",
    "gender": "female",
    "citizen_id": "001190012345",
    "address-unit": "99101",
    "address-street": "12 Đường Lê Lợi",
    "phone": "0912345678",
}
PARENTS = {"mother_name": "Nguyễn Thị Mai", "mother_citizen_id": "001190012345", "declarant_phone": "0912345678"}


@pytest.fixture
def signed_in(client, demo, create_citizen):
    citizen = create_citizen(full_name="Nguyễn Thị Mai", citizen_id="001190012345", phone="0912345678")
    login(client, citizen.email)
    return client


def agency(code: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.code == code))


def application_of(url: str) -> Application:
    return db.session.get(Application, int(re.search(r"/applications/(\d+)/", url)[1]))


def where(unit: str, street: str = "15 Đường Hùng Vương") -> dict:
    return {"residence-unit": unit, "residence-street": street}


def test_the_form_asks_for_the_address_first_and_the_ward_of_that_address_receives(signed_in):
    url = start(signed_in, LT)
    assert url.endswith("/steps/where")
    response = answer(signed_in, url, where("99102"))
    assert response.status_code == 302
    application = application_of(url)
    assert application.receiving_agency.code == "000.00.32.H99"  # Tây Sơn ward

    application_id = application.id
    answer(signed_in, f"/applications/{application_id}/steps/child", CHILD)
    answer(signed_in, f"/applications/{application_id}/steps/parents", PARENTS)
    upload(signed_in, application_id, "giay-chung-sinh", pdf_bytes())
    receipt = signed_in.get(send(signed_in, application_id).headers["Location"]).get_data(as_text=True)
    assert "Ủy ban nhân dân phường Tây Sơn" in receipt
    application = db.session.get(Application, application_id)
    assert application.code.startswith("000.00.32.H99-")


def test_changing_the_address_changes_the_receiving_ward(signed_in):
    url = start(signed_in, LT)
    answer(signed_in, url, where("99102"))
    answer(signed_in, url, where("99203"))
    assert application_of(url).receiving_agency.code == "000.00.35.H99"  # Tân Lập town


def test_an_address_outside_the_province_keeps_what_was_typed(signed_in):
    url = start(signed_in, LT)
    response = answer(signed_in, url, where("01001", "7 Phố Huế"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#residence-unit"' in html and 'value="7 Phố Huế"' in html


def test_a_ward_without_a_receiving_agency_gets_a_plain_message_and_keeps_what_was_typed(signed_in):
    agency("000.00.33.H99").is_active = False  # Hòa Bình ward's committee, e.g. merged away
    db.session.commit()
    url = start(signed_in, LT)
    response = answer(signed_in, url, where("99103", "9 Đường Bạch Đằng"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#residence-unit"' in html and "Phường Hòa Bình" in html
    assert 'value="9 Đường Bạch Đằng"' in html and 'value="99103" selected' in html
    assert application_of(url).answers == {}


def test_submitting_decides_again_from_the_agencies_of_the_day(signed_in):
    url = start(signed_in, LT)
    application_id = application_of(url).id
    answer(signed_in, url, where("99103"))
    answer(signed_in, f"/applications/{application_id}/steps/child", CHILD)
    answer(signed_in, f"/applications/{application_id}/steps/parents", PARENTS)
    upload(signed_in, application_id, "giay-chung-sinh", pdf_bytes())
    agency("000.00.33.H99").serves = []
    db.session.commit()

    response = send(signed_in, application_id)
    assert response.status_code == 422
    assert "Phường Hòa Bình" in response.get_data(as_text=True)
    assert db.session.get(Application, application_id).code is None


def test_the_procedure_page_says_the_ward_receives_and_lists_each_ward(client, demo):
    html = client.get(f"/procedures/{LT}").get_data(as_text=True)
    assert "xã, phường nơi bạn cư trú" in html
    assert "Ủy ban nhân dân phường Tây Sơn (Phường Tây Sơn)" in html
    assert "Ủy ban nhân dân thị trấn Tân Lập (Thị trấn Tân Lập)" in html


def test_a_ward_clerk_can_file_at_the_counter_and_keeps_the_file(app, demo, create_staff, create_citizen):
    clerk = create_staff(agency_code="000.00.32.H99")
    other = create_staff(agency_code="000.00.05.H99")  # the Tax Department receives nothing
    procedure = db.session.scalar(select(Procedure).where(Procedure.slug == LT))
    assert procedure.receiving_agency_id is None
    assert procedure in services.procedures_received_at(clerk.agency)
    assert procedure not in services.procedures_received_at(other.agency)
    with app.test_request_context():
        application = start_counter_application(procedure, clerk, create_citizen())
    assert application.receiving_agency_id == clerk.agency_id


@pytest.fixture
def any_of_pack(tmp_path):
    """The demo pack with household business registration received by either of two ward committees."""
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    path = copy / "procedures" / "household-business.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'receiving_agency: "000.00.30.H99"\n', 'receiving:\n  any_of: ["000.00.30.H99", "000.00.32.H99"]\n'
    )
    path.write_text(text, encoding="utf-8")
    return copy


def test_with_several_receivers_the_citizen_picks_one_on_the_first_step(client, app, any_of_pack, create_citizen):
    apply_pack(read_pack(any_of_pack))
    db.session.commit()
    citizen = create_citizen(full_name="Nguyễn Thị Mai", citizen_id="001190012345", phone="0912345678")
    login(client, citizen.email)
    slug = "dang-ky-thanh-lap-ho-kinh-doanh"
    assert "Bạn chọn một trong các cơ quan sau khi nộp" in client.get(f"/procedures/{slug}").get_data(as_text=True)
    url = start(client, slug)
    html = client.get(url).get_data(as_text=True)
    assert 'name="receiver" value="000.00.30.H99"' in html and 'name="receiver" value="000.00.32.H99"' in html

    refused = answer(client, url, OWNER)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'href="#receiver"' in html and 'value="12 Đường Lê Lợi"' in html

    answer(client, url, {**OWNER, "receiver": "000.00.32.H99"})
    assert application_of(url).receiving_agency.code == "000.00.32.H99"
    html = client.get(url).get_data(as_text=True)
    assert 'value="000.00.32.H99" checked' in html
