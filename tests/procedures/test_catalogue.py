"""The catalogue: search without diacritics or with a typo, filters, the procedure page, status lookup."""

import re

import pytest
from sqlalchemy import select

from onestop.extensions import db
from onestop.procedures.models import Procedure
from onestop.provinces.models import Agency
from tests.conftest import submit


def titles(response) -> list[str]:
    return re.findall(r"<h3><a href=\"[^\"]+\">([^<]+)</a></h3>", response.get_data(as_text=True))


@pytest.mark.parametrize(
    "query",
    [
        "ly lich tu phap",  # no diacritics
        "Lý lịch tư pháp",  # with them
        "LY LICH TU PHAP",
        "ly lich tu phpa",  # two letters swapped
        "ly lich tu phap",
        "ly lixh tu phap",  # one letter wrong
        "lý lịch tư phá",  # a letter missing at the end: still the start of a word
        "phieu ly lich",
        "lltp",  # keyword from the pack
    ],
)
def test_search_finds_the_criminal_record_certificate(client, demo, query):
    response = client.get("/procedures", query_string={"q": query})
    assert response.status_code == 200
    assert titles(response)[0] == "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"


def test_search_says_which_words_it_corrected_and_which_it_left_out(client, demo):
    html = client.get("/procedures", query_string={"q": "khia sinh"}).get_data(as_text=True)
    assert "Đăng ký khai sinh" in html
    assert "“khia” → khai" in html
    html = client.get("/procedures", query_string={"q": "khai sinh qwertyz"}).get_data(as_text=True)
    assert "Đăng ký khai sinh" in html and "qwertyz" in html


def test_search_with_no_match_says_so(client, demo):
    response = client.get("/procedures", query_string={"q": "zzzzqqq"})
    assert titles(response) == []
    assert "zzzzqqq" in response.get_data(as_text=True)


def test_search_ignores_filler_words(client, demo):
    assert titles(client.get("/procedures", query_string={"q": "thủ tục đăng ký thường trú như thế nào"})) == [
        "Đăng ký thường trú",
        "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
    ]


def test_name_matches_rank_above_text_matches(client, demo):
    # "khai sinh" appears in the birth registration name and only in the text of the extract copy.
    assert titles(client.get("/procedures", query_string={"q": "khai sinh"}))[0] == "Đăng ký khai sinh"


def test_catalogue_lists_everything_without_a_query(client, demo):
    assert len(titles(client.get("/procedures"))) == 6


def test_filter_by_field(client, demo):
    sector_id = db.session.scalar(select(Procedure.sector_id).where(Procedure.code == "1.001193"))
    assert sorted(titles(client.get("/procedures", query_string={"sector": sector_id}))) == [
        "Cấp bản sao trích lục hộ tịch",
        "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        "Đăng ký khai sinh",
    ]


def test_filter_by_agency_includes_procedures_it_receives_or_takes_part_in(client, demo):
    police = db.session.scalar(select(Agency).where(Agency.code == "000.00.02.H99"))
    # The provincial police receives the criminal record certificate and takes the residence step of
    # the inter-agency birth registration for the wards without a police station of their own.
    assert titles(client.get("/procedures", query_string={"agency": police.id})) == [
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
    ]


def test_filter_by_online_level_and_query_together(client, demo):
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.001612"))
    procedure.online_level = "partial"
    db.session.commit()
    assert titles(client.get("/procedures", query_string={"level": "partial"})) == ["Đăng ký thành lập hộ kinh doanh"]
    assert titles(client.get("/procedures", query_string={"level": "full", "q": "kinh doanh"})) == []


def test_filters_survive_bad_values(client, demo):
    response = client.get("/procedures", query_string={"sector": "abc", "agency": "-1", "level": "x", "page": "999"})
    assert response.status_code == 200
    assert len(titles(response)) == 6


def test_paging(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOGUE_PAGE_SIZE", 2)
    first = client.get("/procedures")
    assert len(titles(first)) == 2
    html = first.get_data(as_text=True)
    assert 'rel="next"' in html and 'rel="prev"' not in html
    last = client.get("/procedures", query_string={"page": 3})
    assert len(titles(last)) == 2 and 'rel="next"' not in last.get_data(as_text=True)


def test_home_leads_with_search_and_the_most_used_procedures(client, demo):
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "2.000635"))
    procedure.filing_count = 50
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert html.index('role="search"') < html.index("cards")
    popular = re.findall(r'<li>\s*<a href="/procedures/([^"]+)">', html)
    # Filed most often first, then the pack's featured ones.
    assert popular[0] == "cap-ban-sao-trich-luc-ho-tich"
    assert set(popular[1:5]) == {
        "dang-ky-khai-sinh",
        "dang-ky-thuong-tru",
        "cap-phieu-ly-lich-tu-phap",
        "dang-ky-thanh-lap-ho-kinh-doanh",
    }


def test_procedure_page_in_plain_language(client, demo):
    html = client.get("/procedures/cap-phieu-ly-lich-tu-phap").get_data(as_text=True)
    for expected in [
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "Công dân Việt Nam cần Phiếu lý lịch tư pháp",  # who it is for
        "Điền tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",  # the steps
        "Thẻ căn cước hoặc căn cước công dân",  # documents with their type
        "200.000 đ",  # the fee
        "Công an tỉnh Minh Sơn",  # where
        "Luật Lý lịch tư pháp số 28/2009/QH12",  # legal basis
        "Phiếu số 1 và Phiếu số 2 khác nhau thế nào?",  # frequent questions
    ]:
        assert expected in html, expected
    assert re.search(r"10\s+ngày làm việc|10 working days", html)


def test_same_day_procedure_explains_the_cut_off(client, demo):
    html = client.get("/procedures/dang-ky-khai-sinh").get_data(as_text=True)
    assert "15:00" in html


def test_unknown_or_deactivated_procedure_is_404(client, demo):
    assert client.get("/procedures/khong-co").status_code == 404
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.001193"))
    procedure.is_active = False
    db.session.commit()
    assert client.get("/procedures/dang-ky-khai-sinh").status_code == 404


def test_status_lookup_form_validates_and_reveals_nothing(client, demo):
    page = client.get("/status")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    invalid = submit(client, "/status", {"code": "", "secret": "12"})
    assert invalid.status_code == 422
    assert 'href="#code"' in invalid.get_data(as_text=True) and 'href="#secret"' in invalid.get_data(as_text=True)
    unknown = submit(client, "/status", {"code": "000.00.30.H99-261124-0001", "secret": "001190012345"})
    assert unknown.status_code == 404


def test_status_lookup_is_rate_limited(client, demo):
    statuses = [
        submit(client, "/status", {"code": f"000.00.30.H99-261124-000{i}", "secret": "001190012345"}).status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429
