"""The province admin words each message: checked at save, previewed per language, sandboxed."""

import pytest

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.notifications.notify import notify
from onestop.notifications.render import sms_cost
from tests.conftest import csrf_token, login, outbox

EDIT = "/admin/messages/payment_received/sms/vi"


@pytest.fixture
def admin(app, create_staff):
    user = create_staff(Role.PROVINCE_ADMIN, None, "Quản Trị Tỉnh")
    client = app.test_client()
    login(client, user.email)
    return client


def _save(client, **fields):
    page = client.get(EDIT).get_data(as_text=True)
    return client.post(EDIT, data={"csrf_token": csrf_token(page), "save": "1", **fields})


def test_only_the_province_admin_words_messages(app, admin, create_staff, create_citizen):
    assert admin.get("/admin/messages").status_code == 200
    for user in (create_staff(Role.CLERK, "000.00.02.H99"), create_citizen()):
        client = app.test_client()
        login(client, user.email)
        assert client.get("/admin/messages").status_code == 403
        assert client.get(EDIT).status_code == 403
    assert admin.get("/admin/messages/no_such_event/sms/vi").status_code == 404


def test_the_sms_preview_counts_characters_and_segments(admin):
    page = admin.get(EDIT).get_data(as_text=True)
    assert "Đã nhận 100.000 đồng cho hồ sơ 000.00.12.H99-261202-0042" in page
    assert "VND 100,000" in admin.get(EDIT.replace("/vi", "/en")).get_data(as_text=True)
    expected = sms_cost(
        "Đã nhận 100.000 đồng cho hồ sơ 000.00.12.H99-261202-0042. Biên lai: "
        "https://dichvucong.example.vn/applications/42"
    )
    assert expected.encoding == "UCS-2" and f"{expected.characters} ký tự" in page
    assert f"{expected.segments} tin SMS" in page


def test_a_saved_template_is_used_and_may_drop_diacritics(admin, demo):
    response = _save(admin, body="Đã nhận {{ amount | money }} cho hồ sơ {{ code }}.", unaccented="y")
    assert response.status_code == 302
    citizen = User(full_name="Lò Văn Páo", phone="0987654321", role=Role.CITIZEN)
    db.session.add(citizen)
    db.session.flush()
    notify(citizen, "payment_received", {"amount": 50_000})
    db.session.commit()
    [sms] = outbox("sms")
    assert sms.body == "Da nhan 50.000 dong cho ho so ."
    assert sms_cost(sms.body).encoding == "GSM-7"
    # Back to the standard wording.
    page = admin.get(EDIT).get_data(as_text=True)
    admin.post(EDIT, data={"csrf_token": csrf_token(page), "reset": "1"})
    assert "Lời mặc định" in admin.get(EDIT).get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("Xin chào {{ ten_nguoi_nhan }}", "Dòng 1: “ten_nguoi_nhan” không phải là trường"),
        ("Dòng một\n{% if amount %}không đóng", "Dòng 2: Mẫu thông báo chưa đúng cú pháp"),
        ("{{ code.__class__.__mro__ }}", "Không được dùng tên bắt đầu bằng “_”"),
        ("{{ ''.__class__ }}", "Không được dùng tên bắt đầu bằng “_”"),
        ("", "Hãy nhập nội dung thông báo."),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_and_kept_as_typed(admin, body, says):
    response = _save(admin, body=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and says in page
    if body:
        assert body.split("\n")[0].replace("'", "&#39;").replace('"', "&#34;") in page


def test_the_sandbox_blocks_what_the_static_check_cannot_see(admin, demo):
    # attr() reaches an attribute by a computed name: the sandbox gives nothing, and the save is refused.
    response = _save(admin, body="{{ code|attr('_' ~ '_class_' ~ '_') }}")
    assert response.status_code == 422 and "Không điền được mẫu thông báo này" in response.get_data(as_text=True)
    response = _save(admin, body="{{ amount.__add__(1) if false else amount|attr('real') }}")
    assert response.status_code == 422
