"""The applicant is invited once to rate the service when the file ends: delivered, refused or withdrawn."""

import re

from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.procedures.signals import application_changed
from tests.conftest import link_in, login, outbox
from tests.office.conftest import act, as_staff
from tests.ratings.conftest import deliver_result, invitation_mail, invitations, state_of


def test_a_delivered_result_invites_the_applicant_once_by_mail_and_on_the_page(app, staff, filed):
    _citizen, application_id, citizen_client = filed
    page = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Đánh giá" not in page or "rating-title" not in page  # nothing to rate while the file is open
    assert not invitations(application_id)

    deliver_result(app, staff, application_id)

    assert len(invitations(application_id)) == 1
    mails = invitation_mail()
    assert len(mails) == 1
    link = link_in(mails[0].body)
    assert "/rate/" in link
    page = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert 'id="rating-title"' in page
    assert link.split("localhost", 1)[-1].split("/rate/")[1] in page  # the box links to the same rating


def test_the_state_signal_firing_twice_still_invites_once(app, staff, filed):
    _citizen, application_id, _client = filed
    deliver_result(app, staff, application_id)
    application = db.session.get(Application, application_id)
    before = len(outbox())
    for _ in range(2):
        application_changed.send(
            application, action="deliver", from_state="approved", to_state="returned", actor=None, reason=""
        )
    db.session.commit()
    assert len(invitations(application_id)) == 1
    assert len(outbox()) == before
    assert len(invitation_mail()) == 1


def test_a_refused_file_is_invited_too(app, staff, filed):
    _citizen, application_id, _client = filed
    clerk = as_staff(app, staff["clerk"])
    assert act(clerk, application_id, "refuse", {"reason": "Người nộp không cư trú tại tỉnh"}).status_code == 302
    assert state_of(application_id) == "refused"
    assert len(invitations(application_id)) == 1
    assert len(invitation_mail()) == 1


def test_a_sent_file_withdrawn_is_invited_but_a_withdrawn_draft_is_not(app, staff, filed, create_citizen):
    _citizen, application_id, citizen_client = filed
    page = citizen_client.get(f"/applications/{application_id}/withdraw").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = citizen_client.post(
        f"/applications/{application_id}/withdraw", data={"csrf_token": token, "reason": "Không cần nữa"}
    )
    assert response.status_code == 302
    assert state_of(application_id) == "withdrawn"
    assert len(invitations(application_id)) == 1

    from tests.filing import fill_all_steps

    other = create_citizen(email="nhap@example.com")
    client = app.test_client()
    login(client, other.email)
    draft_id = fill_all_steps(client)
    page = client.get(f"/applications/{draft_id}/withdraw").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(f"/applications/{draft_id}/withdraw", data={"csrf_token": token}).status_code == 302
    assert state_of(draft_id) == "withdrawn"
    assert not invitations(draft_id)
    assert not invitation_mail("nhap@example.com")
