"""Who may read and act on which feedback: each agency its own, each citizen theirs, the code for anonymous."""

import pytest

from onestop.accounts.models import Role
from tests.feedback.conftest import BIRTH_SLUG, WARD, agency_id, post_form, send_feedback, signed_in


@pytest.fixture
def sent(app, demo, clock, officers, create_citizen):
    owner = create_citizen(full_name="Chủ phản ánh")
    client = signed_in(app, owner)
    _response, named = send_feedback(client, f"?procedure={BIRTH_SLUG}")
    _response, anonymous = send_feedback(app.test_client(), agency=str(agency_id(WARD)))
    return {"owner": client, "named": named, "anonymous": anonymous}


@pytest.mark.parametrize(
    ("who", "office_status"),
    [("ward_clerk", 200), ("ward_leader", 200), ("police_clerk", 404), ("police_leader", 404)],
)
def test_only_the_holding_agency_reads_and_acts(app, sent, officers, who, office_status):
    client = signed_in(app, officers[who])
    feedback = sent["named"]
    assert client.get(f"/office/feedback/{feedback.id}").status_code == office_status
    listing = client.get("/office/feedback").get_data(as_text=True)
    assert (feedback.code in listing) is (office_status == 200)
    if office_status == 404:
        page = f"/office/feedback/{feedback.id}"
        # No page to take a token from: use the list's.
        for action, data in (("answer", {"answer": "x"}), ("forward", {"to_agency": "1", "note": "x"})):
            response = post_form(client, f"{page}/{action}", data, page="/office/feedback")
            assert response.status_code == 404


def test_a_citizen_reads_only_their_own(app, sent, create_citizen):
    named = sent["named"]
    assert sent["owner"].get(f"/feedback/{named.code}").status_code == 200
    assert named.code in sent["owner"].get("/feedback/mine").get_data(as_text=True)
    stranger = signed_in(app, create_citizen(full_name="Người lạ"))
    assert stranger.get(f"/feedback/{named.code}").status_code == 404
    assert named.code not in stranger.get("/feedback/mine").get_data(as_text=True)
    # Knowing the code is not enough for feedback sent in someone's name.
    assert app.test_client().get(f"/feedback/{named.code}").status_code == 404
    assert app.test_client().get("/feedback/ZZZZZZZZZZ").status_code == 404


def test_anonymous_feedback_opens_with_its_code_only(app, sent, officers):
    anonymous = sent["anonymous"]
    assert app.test_client().get(f"/feedback/{anonymous.code}").status_code == 200
    ward = signed_in(app, officers["ward_clerk"])
    page = ward.get(f"/office/feedback/{anonymous.id}").get_data(as_text=True)
    assert "Sent without a name" in page or "không kèm tên" in page


def test_citizens_and_admins_of_the_province_have_no_office_list(app, sent, create_staff, create_citizen):
    citizen = signed_in(app, create_citizen())
    assert citizen.get("/office/feedback").status_code == 403
    assert citizen.get(f"/office/feedback/{sent['named'].id}").status_code == 404
    admin = signed_in(app, create_staff(Role.PROVINCE_ADMIN, None, "Quản trị tỉnh"))
    assert admin.get(f"/office/feedback/{sent['named'].id}").status_code == 404
    assert app.test_client().get("/office/feedback").status_code in (302, 401)
