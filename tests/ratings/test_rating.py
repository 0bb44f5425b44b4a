"""Rating a finished application: online from the invitation, or on the counter tablet; one rating per file."""

import re

from onestop.extensions import db
from onestop.procedures.models import ApplicationStep
from onestop.ratings.models import ServiceRating, ServiceRatingOfficer
from onestop.surveys.models import SurveyResponse
from tests.conftest import csrf_token, link_in
from tests.office.conftest import as_staff
from tests.ratings.conftest import GOOD, deliver_result, invitation_mail, rate, ratings


def _path(link: str) -> str:
    return "/rate/" + link.split("/rate/", 1)[1]


def test_the_citizen_rates_online_and_the_rating_names_the_agency_and_officers(app, staff, filed, client):
    _citizen, application_id, citizen_client = filed
    deliver_result(app, staff, application_id)
    link = _path(link_in(invitation_mail()[0].body))

    # The invitation link is the key: it works in any browser, signed in or not.
    first = client.get(link)
    assert first.status_code == 302
    page = client.get(first.location).get_data(as_text=True)
    assert "Nhìn chung, bạn hài lòng thế nào" in page and "Đặng Thị Lan" not in page

    # A required answer missing: a message per question, and what was typed is kept.
    response = rate(client, first.location, {"q-q3": "4", "q-q5": "Nhanh chóng"}, expect=422)
    html = response.get_data(as_text=True)
    assert 'id="q-q1-error"' in html and 'id="q-q2-error"' in html
    assert 'value="4" checked' in html and "Nhanh chóng" in html
    assert not ratings()

    rate(client, first.location, GOOD)
    [rating] = ratings()
    assert (rating.overall, rating.on_time, rating.guidance, rating.conduct) == (5, True, 4, 5)
    assert rating.comment == "Cán bộ hướng dẫn tận tình" and rating.channel == "online"
    assert rating.agency_id == staff["clerk"].agency_id
    officers = set(db.session.scalars(db.select(ServiceRatingOfficer.user_id)))
    holders = set(
        db.session.scalars(db.select(ApplicationStep.holder_id).where(ApplicationStep.holder_id.is_not(None)))
    )
    assert holders and holders <= officers and staff["specialist"].id in officers  # every step holder is named
    assert db.session.get(SurveyResponse, rating.response_id).submitted_at is not None

    # One rating per application: the link now thanks, a replayed submit changes nothing.
    assert client.get(first.location).status_code == 302
    replay = client.post(first.location, data={"csrf_token": csrf_token(page), "action": "next", **GOOD})
    assert replay.status_code == 302 and "/thanks" in replay.location
    assert len(ratings()) == 1
    box = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "rating-title" in box and "/rate/" not in box.split("rating-title", 1)[1].split("</section>", 1)[0]


def test_an_unknown_rating_link_is_a_plain_404(client, demo):
    assert client.get("/rate/not-a-real-token").status_code == 404
    assert client.get("/rate/not-a-real-token/1").status_code == 404


def test_the_rating_survey_has_no_public_short_link(app, demo, client):
    from onestop.surveys.models import Survey

    code = db.session.scalar(db.select(Survey.code).where(Survey.for_ratings.is_(True)))
    assert client.get(f"/s/{code}").status_code == 404


def test_a_clerk_opens_the_rating_on_the_counter_tablet_without_leaking_the_staff_session(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    deliver_result(app, staff, application_id)
    tablet = as_staff(app, staff["clerk"])  # the counter's tablet, opened by the clerk for this file
    office = tablet.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "/rating/counter" in office
    opened = tablet.post(
        f"/office/applications/{application_id}/rating/counter",
        data={"csrf_token": csrf_token(office), "device": "this"},
    )
    assert opened.status_code == 302 and "/rate/counter/" in opened.location
    # Handing the device over signed the clerk out on it, for good: the back office asks for a sign-in.
    assert tablet.get(f"/office/applications/{application_id}").status_code == 302
    page = tablet.get(opened.location).get_data(as_text=True)
    clerk = staff["clerk"]
    for leak in (clerk.full_name, clerk.email, "/office", "Đăng xuất", "Sign out", "/account"):
        assert leak not in page, leak
    assert 'name="q-q1"' in page

    response = rate(tablet, opened.location, {**GOOD, "q-q1": "3", "q-q2": "no"})
    assert "/rate/counter/" in response.location and response.location.endswith("/thanks")
    thanks = tablet.get(response.location).get_data(as_text=True)
    assert clerk.full_name not in thanks and "Sign out" not in thanks and "Đăng xuất" not in thanks
    [rating] = ratings()
    assert (rating.channel, rating.overall, rating.on_time) == ("counter", 3, False)
    # The counter link served once; the online invitation now only thanks.
    assert tablet.get(opened.location).status_code == 404
    online = _path(link_in(invitation_mail()[0].body))
    assert citizen_client.get(online + "/1").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(ServiceRating)) == 1
    office = as_staff(app, clerk).get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "/rating/counter" not in office


def test_a_clerk_shows_the_applicant_a_code_for_another_device_and_stays_signed_in(app, staff, filed):
    _citizen, application_id, _citizen_client = filed
    deliver_result(app, staff, application_id)
    desk = as_staff(app, staff["clerk"])
    office = desk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    shown = desk.post(f"/office/applications/{application_id}/rating/counter", data={"csrf_token": csrf_token(office)})
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "<svg" in page and 'role="img"' in page
    link = re.search(r'href="(http://[^"]+/rate/counter/[^"]+)"', page)[1]
    # The applicant's phone opens the link: the rating page, with nothing of the clerk.
    phone = app.test_client()
    answer_page = phone.get(_path(link)).get_data(as_text=True)
    assert 'name="q-q1"' in answer_page and staff["clerk"].full_name not in answer_page
    assert desk.get(f"/office/applications/{application_id}").status_code == 200


def test_another_agency_cannot_open_the_counter_rating(app, staff, filed):
    _citizen, application_id, _client = filed
    deliver_result(app, staff, application_id)
    ward = as_staff(app, staff["ward_clerk"])
    page = ward.get("/office/applications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    data = {"csrf_token": token[1]} if token else {}
    assert ward.post(f"/office/applications/{application_id}/rating/counter", data=data).status_code in (400, 404)


def test_the_rating_page_and_box_read_in_english(app, staff, filed, client):
    _citizen, application_id, citizen_client = filed
    deliver_result(app, staff, application_id)
    citizen_client.get(f"/lang/en?next=/applications/{application_id}")
    box = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Rate this service" in box and "Đánh giá việc giải quyết" not in box
    client.get("/lang/en?next=/")
    page = client.get(_path(link_in(invitation_mail()[0].body)) + "/1").get_data(as_text=True)
    assert "Overall, how satisfied are you" in page and "Was your application handled by the promised date?" in page
    assert "Nhìn chung" not in page and "hài lòng" not in page
