"""Events reach the right people on their channels, in their own language; the inbox; choices; digests."""

import re

import pytest
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.notifications.digest import send_digests
from onestop.notifications.events import EVENTS, SAMPLE_APPLICATION
from onestop.notifications.models import Channel, Notice
from onestop.notifications.preferences import save_preferences
from onestop.notifications.render import LANGUAGES, render
from tests.conftest import csrf_token, login, outbox
from tests.filing import fill_all_steps, pdf_bytes, send, upload
from tests.office.conftest import act, as_staff, file_lltp

CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.INBOX, Channel.OTT)


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_event_has_words_on_every_channel_in_both_languages(app, name):
    event = EVENTS[name]
    facts = {**SAMPLE_APPLICATION, **event.sample}
    with app.test_request_context():
        for language in LANGUAGES:
            for channel in CHANNELS:
                message = render(name, channel, language, facts)
                assert message.body and "{{" not in message.body and "None" not in message.body
                if channel in (Channel.EMAIL, Channel.INBOX):
                    assert message.subject
                if channel in (Channel.SMS, Channel.OTT):
                    assert "\n" not in message.body


def _events_for(user: User) -> list[tuple[str, str]]:
    return [(m.event, m.channel) for m in outbox() if m.user_id == user.id]


@pytest.fixture
def police(create_staff):
    return {
        "clerk": create_staff(Role.CLERK, "000.00.02.H99", "Đặng Thị Lan"),
        "specialist": create_staff(Role.SPECIALIST, "000.00.02.H99", "Bùi Văn Nam"),
        "leader": create_staff(Role.LEADER, "000.00.02.H99", "Ngô Thanh Sơn"),
    }


def test_a_file_s_moves_reach_citizen_and_staff_on_their_channels(app, demo, police, create_citizen):
    citizen, application_id, citizen_client = file_lltp(app, create_citizen, fee_category="exempt")
    citizen.phone = "0912345678"
    db.session.commit()
    assert ("application_submitted", "email") in _events_for(citizen)
    # The agency's one-stop clerk hears of the new file; its specialists do not.
    assert ("staff_new_application", "email") in _events_for(police["clerk"])
    assert not _events_for(police["specialist"])

    clerk, leader = as_staff(app, police["clerk"]), as_staff(app, police["leader"])
    act(clerk, application_id, "accept")
    # E-mail and SMS by default, to the number in international form.
    [sms] = [m for m in outbox("sms") if m.event == "application_accepted"]
    assert sms.recipient == "+84912345678" and sms.language == "vi"
    assert "da duoc tiep nhan" in sms.body  # the demo pack words this SMS without diacritics
    act(leader, application_id, "assign", {"specialist": police["specialist"].id})
    [assigned] = [m for m in outbox() if m.event == "staff_assigned"]
    assert assigned.user_id == police["specialist"].id and "Ngô Thanh Sơn" in assigned.body

    # The citizen writes: the specialist holding the file hears; the agency answers: the citizen hears.
    page = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    citizen_client.post(
        f"/applications/{application_id}/messages", data={"csrf_token": csrf_token(page), "body": "Cho tôi hỏi"}
    )
    [asked] = [m for m in outbox() if m.event == "staff_citizen_message"]
    assert asked.user_id == police["specialist"].id and "Cho tôi hỏi" in asked.body

    # Every one of these is also a notice in the recipient's portal inbox, linking to the file.
    notices = db.session.scalars(select(Notice).where(Notice.user_id == citizen.id)).all()
    assert {n.event for n in notices} == {"application_submitted", "application_accepted"}
    assert all(n.link == f"/applications/{application_id}" for n in notices)


def test_the_citizen_hears_in_their_own_language_whoever_acts(app, demo, police, create_citizen):
    citizen, application_id, _client = file_lltp(app, create_citizen, fee_category="exempt")
    save_preferences(citizen, {Channel.EMAIL}, "en")
    db.session.commit()
    clerk = as_staff(app, police["clerk"])  # works in Vietnamese
    act(
        clerk,
        application_id,
        "request-supplement",
        {"document": "the-can-cuoc", "note-the-can-cuoc": "Ảnh mờ, chụp lại hai mặt"},
    )
    [mail] = [m for m in outbox("email") if m.event == "supplement_requested"]
    assert mail.language == "en" and mail.subject.endswith(": items missing")
    assert "needs more from you" in mail.body and "Ảnh mờ, chụp lại hai mặt" in mail.body
    # A critical event reaches two channels although the citizen ticked only e-mail... where there is a second.
    assert [m.channel for m in outbox() if m.event == "supplement_requested"] == ["email"]


def test_critical_news_takes_two_channels_and_a_bad_number_falls_back(app, demo, police, create_citizen):
    citizen, application_id, citizen_client = file_lltp(app, create_citizen, fee_category="exempt")
    citizen.phone = "0912345678"
    save_preferences(citizen, {Channel.SMS}, "vi")
    db.session.commit()
    clerk = as_staff(app, police["clerk"])
    act(clerk, application_id, "messages", {"body": "Chúng tôi đang kiểm tra hồ sơ"})
    assert [m.channel for m in outbox() if m.event == "message_from_agency"] == ["sms"]  # their choice
    act(clerk, application_id, "request-supplement", {"document": "the-can-cuoc", "note-the-can-cuoc": "Ảnh mờ"})
    assert sorted(m.channel for m in outbox() if m.event == "supplement_requested") == ["email", "sms"]

    # A number that cannot take SMS: the message goes to e-mail, and the choices page says why.
    citizen.phone = "0241234567"  # a Hà Nội landline
    db.session.commit()
    act(clerk, application_id, "messages", {"body": "Vâng, chúng tôi chờ"})
    assert [m.channel for m in outbox() if m.event == "message_from_agency"] == ["sms", "email"]
    choices = citizen_client.get("/account/notifications").get_data(as_text=True)
    assert "0241234567" in choices and "không phải số di động" in choices
    assert "không phải số di động" in citizen_client.get("/inbox").get_data(as_text=True)


def test_the_inbox_counts_lists_and_opens_only_one_s_own_notices(app, demo, police, create_citizen):
    citizen, application_id, citizen_client = file_lltp(app, create_citizen, fee_category="exempt")
    act(as_staff(app, police["clerk"]), application_id, "accept")
    home = citizen_client.get("/").get_data(as_text=True)
    assert re.search(r'class="badge">2<span class="visually-hidden"> chưa đọc', home)
    inbox = citizen_client.get("/inbox").get_data(as_text=True)
    assert "Hồ sơ" in inbox and "đã được tiếp nhận" in inbox
    notice = db.session.scalars(select(Notice).where(Notice.user_id == citizen.id).order_by(Notice.id)).first()
    opened = citizen_client.get(f"/inbox/{notice.id}").get_data(as_text=True)
    assert f'href="/applications/{application_id}"' in opened
    assert 'class="badge">1<' in citizen_client.get("/").get_data(as_text=True)
    # Someone else's notice does not exist for this citizen.
    other = db.session.scalar(select(Notice).where(Notice.user_id == police["clerk"].id))
    assert citizen_client.get(f"/inbox/{other.id}").status_code == 404
    page = citizen_client.get("/inbox").get_data(as_text=True)
    citizen_client.post("/inbox/read-all", data={"csrf_token": csrf_token(page)})
    assert 'class="badge"' not in citizen_client.get("/").get_data(as_text=True)


def test_choices_are_saved_from_the_profile(app, demo, create_citizen):
    citizen = create_citizen(phone="0912345678")
    client = app.test_client()
    login(client, citizen.email)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'name="by_email" type="checkbox" value="y" checked' in page or "checked" in page
    response = client.post(
        "/account/notifications", data={"csrf_token": csrf_token(page), "by_sms": "y", "language": "en"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    from onestop.notifications.preferences import preferences_of

    chosen = preferences_of(db.session.get(User, citizen.id))
    assert chosen.channels == ["sms"] and chosen.language == "en" and not chosen.daily_digest
    bad = client.post("/account/notifications", data={"csrf_token": csrf_token(page), "language": "fr"})
    assert bad.status_code == 422


def test_staff_on_a_daily_digest_get_one_mail_but_urgent_news_at_once(app, demo, police, create_citizen):
    save_preferences(police["clerk"], {Channel.EMAIL}, "vi", daily_digest=True)
    db.session.commit()
    file_lltp(app, create_citizen, fee_category="exempt")
    other = create_citizen(full_name="Trần Văn Hùng")
    other_client = app.test_client()
    login(other_client, other.email)
    send(other_client, _filled(other_client))
    assert not [m for m in outbox() if m.user_id == police["clerk"].id]
    assert send_digests() == 1
    [digest] = [m for m in outbox() if m.user_id == police["clerk"].id]
    assert digest.event == "staff_digest" and "2 thông báo" in digest.subject
    assert send_digests() == 0  # nothing waits any more


def test_a_walk_in_citizen_with_only_a_phone_hears_of_payments_by_sms(app, demo):
    from onestop.notifications.notify import notify

    citizen = User(full_name="Lò Văn Páo", phone="0987654321", role=Role.CITIZEN)
    db.session.add(citizen)
    db.session.flush()
    notify(citizen, "payment_received", {"amount": 200_000})
    db.session.commit()
    [sms] = outbox("sms")
    assert sms.recipient == "+84987654321" and "200.000 đồng" in sms.body


def _filled(client) -> int:
    application_id = fill_all_steps(client, fee_category="exempt")
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    return application_id
