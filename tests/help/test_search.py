"""Help search through HTTP: accents optional, typos forgiven, abbreviations known, every hit leads to
the exact procedure page and part of it, and the found words are marked safely."""

import re

import pytest

ENGLISH = {"lang": "en"}


def hits(html: str) -> list[str]:
    """The result links, in order (procedure page and anchor)."""
    section = html.split('class="results help-results"', 1)
    return re.findall(r'<h3><a href="([^"]+)"', section[1]) if len(section) > 1 else []


def search(client, query: str) -> str:
    response = client.get("/help", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def help_client(client, demo):
    return client


def test_without_diacritics_finds_the_page_and_marks_the_words(help_client):
    html = search(help_client, "giay khai sinh")
    links = hits(html)
    assert links[0] == "/procedures/dang-ky-khai-sinh#about"
    assert "<mark>Giấy</mark>" in html or "<mark>giấy</mark>" in html
    assert "<mark>khai</mark> <mark>sinh</mark>" in html


def test_a_frequent_question_leads_to_its_anchor(help_client):
    html = search(help_client, "so ho khau")
    assert "/procedures/dang-ky-thuong-tru#faq-3" in hits(html)
    page = help_client.get("/procedures/dang-ky-thuong-tru").get_data(as_text=True)
    assert 'id="faq-3"' in page


def test_d_with_stroke_folds_to_d(help_client):
    # "đăng ký thường trú" typed with a plain d, and typed with đ, find the same first page part.
    plain = hits(search(help_client, "dang ky thuong tru"))
    stroked = hits(search(help_client, "Đăng ký thường trú"))
    assert plain == stroked
    assert plain[0].startswith("/procedures/dang-ky-thuong-tru#")


def test_one_letter_typos_are_forgiven_in_words_of_four_letters_or_more(help_client):
    html = search(help_client, "ly lich tu phpa con dau")  # swapped letters, and a word from another page
    assert "“phpa” → phap" in html
    typo = hits(search(help_client, "lich tu phap gai tri"))  # "gia tri" with a letter missing
    assert "/procedures/cap-phieu-ly-lich-tu-phap#faq-4" in typo


def test_short_words_are_not_guessed(help_client):
    html = search(help_client, "xyz")
    assert hits(html) == []
    assert "xyz" in html  # shown as left out, not silently ignored


def test_step_hits_lead_to_the_step_anchor_of_the_page(help_client):
    html = search(help_client, "nop le phi truc tuyen lich tu phap")
    assert "/procedures/cap-phieu-ly-lich-tu-phap#step-3" in hits(html)
    page = help_client.get("/procedures/cap-phieu-ly-lich-tu-phap").get_data(as_text=True)
    assert 'id="step-3"' in page


def test_each_hit_says_which_part_of_the_page_it_is(help_client):
    help_client.set_cookie("lang", "en")
    html = search(help_client, "pay the fee online criminal record")
    assert "/procedures/cap-phieu-ly-lich-tu-phap#step-3" in hits(html)
    assert "Step 3 of how it works" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CCCD", "/procedures/cap-phieu-ly-lich-tu-phap#"),
        ("cmnd cu", "/procedures/cap-phieu-ly-lich-tu-phap#faq-3"),
        ("LLTP", "/procedures/cap-phieu-ly-lich-tu-phap#"),
        ("hkd thue", "/procedures/dang-ky-thanh-lap-ho-kinh-doanh#faq-2"),
        ("ho chieu", "/procedures/cap-phieu-ly-lich-tu-phap#document-ho-chieu"),
        ("bhyt", "/procedures/lien-thong-khai-sinh-thuong-tru-bao-hiem-y-te#"),
    ],
)
def test_abbreviations_expand_to_their_full_terms(help_client, query, expected):
    html = search(help_client, query)
    assert any(link.startswith(expected) for link in hits(html)), (query, hits(html))
    assert "được hiểu là" in html


def test_the_page_says_how_an_abbreviation_was_read(help_client):
    html = search(help_client, "cccd")
    assert "“CCCD” được hiểu là: căn cước công dân, thẻ căn cước, ID card" in html


def test_english_questions_find_english_text(help_client):
    help_client.set_cookie("lang", "en")
    html = search(help_client, "household business tax")
    assert "/procedures/dang-ky-thanh-lap-ho-kinh-doanh#faq-2" in hits(html)
    assert "<mark>tax</mark>" in html


def test_the_query_is_escaped_and_marks_are_the_only_markup(help_client):
    html = search(help_client, '<script>alert("khai sinh")</script>')
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_no_result_says_so_and_offers_the_catalogue(help_client):
    html = search(help_client, "qwertyuiop asdfghjkl")
    assert hits(html) == []
    assert "/procedures?q=" in html


def test_help_is_linked_from_header_footer_and_catalogue(help_client):
    for page in ("/", "/procedures"):
        assert 'href="/help"' in help_client.get(page).get_data(as_text=True)
