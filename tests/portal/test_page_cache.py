"""Public pages kept for anonymous visitors: never stale after a pack load, never shared across languages or users."""

import dataclasses

from onestop.extensions import db
from onestop.provinces.services import apply_pack
from tests.conftest import login


def test_a_kept_page_follows_the_language(client, demo):
    assert '<html lang="vi">' in client.get("/procedures?q=khai+sinh").get_data(as_text=True)
    client.get("/lang/en?next=/")
    assert '<html lang="en">' in client.get("/procedures?q=khai+sinh").get_data(as_text=True)


def test_a_pack_load_that_changes_the_catalogue_is_seen_at_once(client, demo, demo_pack):
    assert "Đăng ký khai sinh" in client.get("/procedures").get_data(as_text=True)
    renamed = [
        p.model_copy(update={"name": {"vi": "Đăng ký khai sinh cho trẻ em", "en": "Birth registration"}})
        if p.code == "1.001193"
        else p
        for p in demo_pack.procedures
    ]
    apply_pack(dataclasses.replace(demo_pack, procedures=renamed))
    db.session.commit()
    assert "Đăng ký khai sinh cho trẻ em" in client.get("/procedures").get_data(as_text=True)


def test_signed_in_users_never_get_a_page_kept_for_visitors(client, demo, create_citizen):
    client.get("/")  # kept for visitors: shows "Sign in"
    login(client, create_citizen(full_name="Ngô Thị Lụa").email)
    html = client.get("/").get_data(as_text=True)
    assert "/account/login" not in html.split("<main")[0]  # the header offers no sign-in
    assert "/applications" in html


def test_a_page_with_a_one_time_message_is_not_kept(client, demo, create_citizen):
    login(client, create_citizen().email)
    client.post("/account/logout", data={"csrf_token": _token(client)})
    first = client.get("/").get_data(as_text=True)
    second = client.get("/").get_data(as_text=True)
    assert 'class="flash' in first and 'class="flash' not in second


def _token(client) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/").get_data(as_text=True))[1]
