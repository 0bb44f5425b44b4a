"""Staff accounts are scoped to an agency and a role; only administrators manage them, within their reach."""

import pytest
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.provinces.models import Agency
from tests.conftest import PASSWORD, link_in, login, outbox, submit

WARD = "000.00.30.H99"
POLICE = "000.00.02.H99"


def agency_id(code: str) -> int:
    return db.session.scalar(select(Agency.id).where(Agency.code == code))


def test_staff_sign_in_to_the_back_office(client, create_staff):
    clerk = create_staff(Role.CLERK, WARD, full_name="Phạm Thu Trang")
    response = login(client, clerk.email)
    assert response.headers["Location"] == "/admin/"
    html = client.get("/admin/").get_data(as_text=True)
    assert "Phạm Thu Trang" in html and "Cán bộ một cửa" in html and "Ủy ban nhân dân phường Đông Thành" in html


def test_citizens_cannot_enter_the_back_office(client, demo, create_citizen):
    citizen = create_citizen()
    login(client, citizen.email)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/staff").status_code == 403


def test_back_office_needs_sign_in(client, demo):
    response = client.get("/admin/staff")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")


@pytest.mark.parametrize("role", [Role.CLERK, Role.SPECIALIST, Role.LEADER])
def test_only_administrators_manage_staff(client, create_staff, role):
    login(client, create_staff(role, WARD).email)
    assert client.get("/admin/staff").status_code == 403
    assert client.get("/admin/staff/new").status_code == 403


def test_province_admin_creates_staff_who_choose_their_own_password(client, create_staff):
    admin = create_staff(Role.PROVINCE_ADMIN, None)
    login(client, admin.email)
    response = submit(
        client,
        "/admin/staff/new",
        {
            "full_name": "Đỗ Văn Hải",
            "email": "hai@minhson.example",
            "phone": "",
            "role": "specialist",
            "agency": str(agency_id(POLICE)),
        },
    )
    assert response.status_code == 302
    hai = db.session.scalar(select(User).where(User.email == "hai@minhson.example"))
    assert hai.role == Role.SPECIALIST and hai.agency.code == POLICE and hai.password_hash is None

    # The new colleague sets a password from the e-mailed link, then signs in.
    link = link_in(outbox("email")[-1].body).replace("http://localhost", "")
    submit(client, "/account/logout", {}, page="/admin/")
    assert submit(client, link, {"password": "chuyenvien-2026", "password_again": "chuyenvien-2026"}).status_code == 302
    assert login(client, "hai@minhson.example", "chuyenvien-2026").headers["Location"] == "/admin/"


def test_agency_admin_sees_and_manages_only_their_agency(client, create_staff):
    admin = create_staff(Role.AGENCY_ADMIN, WARD)
    own = create_staff(Role.CLERK, WARD, full_name="Người Cùng Phường")
    other = create_staff(Role.CLERK, POLICE, full_name="Người Bên Công An")
    login(client, admin.email)
    listing = client.get("/admin/staff").get_data(as_text=True)
    assert "Người Cùng Phường" in listing and "Người Bên Công An" not in listing
    assert client.get(f"/admin/staff/{own.id}").status_code == 200
    assert client.get(f"/admin/staff/{other.id}").status_code == 404

    # The agency list offers only their own agency; forcing another one is refused and saves nothing.
    form = client.get("/admin/staff/new").get_data(as_text=True)
    assert f'value="{agency_id(POLICE)}"' not in form
    response = submit(
        client,
        "/admin/staff/new",
        {"full_name": "Kẻ Lạ", "email": "la@minhson.example", "role": "clerk", "agency": str(agency_id(POLICE))},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "la@minhson.example")) is None
    # Nor can they make a province administrator.
    response = submit(
        client,
        "/admin/staff/new",
        {"full_name": "Kẻ Lạ", "email": "la@minhson.example", "role": "province_admin", "agency": ""},
    )
    assert response.status_code == 422


def test_changing_role_and_deactivating(client, create_staff):
    admin = create_staff(Role.AGENCY_ADMIN, WARD)
    clerk = create_staff(Role.CLERK, WARD)
    login(client, admin.email)
    response = submit(client, f"/admin/staff/{clerk.id}", {"role": "leader", "agency": str(agency_id(WARD))})
    assert response.status_code == 302
    db.session.refresh(clerk)
    assert clerk.role == Role.LEADER and clerk.is_active is False  # the box was left unticked
    # A deactivated account cannot sign in.
    submit(client, "/account/logout", {}, page="/admin/")
    assert login(client, clerk.email, PASSWORD).status_code == 422


def test_administrators_cannot_lock_themselves_out(client, create_staff):
    admin = create_staff(Role.AGENCY_ADMIN, WARD)
    login(client, admin.email)
    response = submit(
        client, f"/admin/staff/{admin.id}", {"role": "clerk", "agency": str(agency_id(WARD)), "is_active": "y"}
    )
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.role == Role.AGENCY_ADMIN


def test_invalid_staff_form_keeps_input(client, create_staff):
    login(client, create_staff(Role.PROVINCE_ADMIN, None).email)
    response = submit(
        client, "/admin/staff/new", {"full_name": "Lê Thị Hồng", "email": "not-an-email", "role": "clerk"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Lê Thị Hồng"' in html and 'value="not-an-email"' in html and 'href="#email"' in html


def test_pack_staff_are_scoped_to_their_agency(demo):
    clerk = db.session.scalar(select(User).where(User.email == "motcua.congan@minhson.example"))
    assert clerk.role == Role.CLERK and clerk.agency.code == POLICE and clerk.province_id == demo.id
    assert clerk.password_hash is None  # packs never carry passwords
