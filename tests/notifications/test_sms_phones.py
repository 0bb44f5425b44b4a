"""Vietnamese mobile numbers typed any usual way are read as +84; anything else is refused with its reason."""

import pytest

from onestop.notifications.phones import PhoneProblem, problem_with, to_e164, to_national
from tests.conftest import submit

VALID = [
    ("0912 345 678", "+84912345678"),
    ("0912345678", "+84912345678"),
    ("84912345678", "+84912345678"),
    ("+84 912-345-678", "+84912345678"),
    ("(+84)912345678", "+84912345678"),
    ("+84 (0) 912 345 678", "+84912345678"),
    ("0084 912 345 678", "+84912345678"),
    ("098.765.4321", "+84987654321"),
    ("0326 111 222", "+84326111222"),  # Viettel's 03x since the 2018 renumbering
    ("0589\u00a0000\u00a0111", "+84589000111"),  # Vietnamobile 058, non-breaking spaces from a copied page
    ("070 123 4567", "+84701234567"),
    ("0888 123 456", "+84888123456"),
]

INVALID = [
    ("", PhoneProblem.EMPTY),
    ("  -  ", PhoneProblem.EMPTY),
    ("0912 345 67x", PhoneProblem.CHARACTERS),
    ("０９１２３４５６７８", PhoneProblem.CHARACTERS),  # full-width digits
    ("+1 202 555 0143", PhoneProblem.FOREIGN),
    ("+33 6 12 34 56 78", PhoneProblem.FOREIGN),
    ("091234567", PhoneProblem.LENGTH),
    ("09123456789", PhoneProblem.LENGTH),
    ("912345678", PhoneProblem.LENGTH),  # the leading 0 forgotten
    ("0293 3876 543", PhoneProblem.LENGTH),  # a landline: 11 digits
    ("0123 456 789", PhoneProblem.NOT_MOBILE),  # an 11-digit-era prefix cut to 10 digits
    ("0243 825 123", PhoneProblem.NOT_MOBILE),  # a Hà Nội landline without its last digit
    ("0951 234 567", PhoneProblem.NOT_MOBILE),  # 095: S-Fone's old range, no network today
]


@pytest.mark.parametrize(("typed", "e164"), VALID)
def test_usual_ways_of_typing_a_mobile_number_give_e164(typed, e164):
    assert to_e164(typed) == e164
    assert to_national(typed) == "0" + e164[3:]
    assert problem_with(typed) is None


@pytest.mark.parametrize(("typed", "problem"), INVALID)
def test_a_number_that_is_not_a_vietnamese_mobile_says_why(typed, problem):
    assert problem_with(typed) == problem


def _register(client, phone: str):
    return submit(
        client,
        "/account/register",
        {
            "full_name": "Lý Thị Lan",
            "citizen_id": "001190012345",
            "email": "",
            "phone": phone,
            "password": "matkhau2026",
            "password_again": "matkhau2026",
            "consent": "y",
        },
    )


def test_registration_refuses_a_landline_plainly_and_keeps_what_was_typed(client, demo):
    response = _register(client, "0243 825 123")
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert "không thuộc mạng di động" in page
    assert 'value="0243 825 123"' in page


def test_registration_stores_the_national_form_of_an_international_number(client, demo):
    from sqlalchemy import select

    from onestop.accounts.models import User
    from onestop.extensions import db

    assert _register(client, "(+84)98.765.4321").status_code == 302
    assert db.session.scalar(select(User.phone).where(User.citizen_id == "001190012345")) == "0987654321"
