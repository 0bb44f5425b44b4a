"""Every event, in both languages, reaches a real SMTP server and the mock SMS gateway, and is reported delivered."""

import pytest

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.notifications.events import EVENTS, SAMPLE_APPLICATION, Audience
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
from onestop.notifications.notify import notify
from onestop.notifications.preferences import save_preferences
from tests.paying import serving
from tests.texting import serve_sms_gateway, wait_for


@pytest.fixture
def portal_url(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def gateway(app, portal_url, tmp_path, monkeypatch):
    with serve_sms_gateway(app, portal_url, tmp_path, monkeypatch) as gateway:
        yield gateway


def _person(language: str, role: Role, n: int) -> User:
    user = User(
        full_name="Hà Thị Thu" if language == "vi" else "Ha Thi Thu",
        email=f"{language}{n}@example.com",
        phone=f"09123450{n:02d}",
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    save_preferences(user, {Channel.EMAIL, Channel.SMS}, language)
    return user


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_event_arrives_by_mail_and_sms_in_the_recipient_s_language(app, demo, smtp_server, gateway, language):
    sent: dict[str, str] = {}
    for n, (name, event) in enumerate(sorted(EVENTS.items())):
        role = Role.CLERK if event.audience is Audience.STAFF else Role.CITIZEN
        person = _person(language, role, n)
        facts = {**event.sample}
        if event.about_application:
            facts.update({key: SAMPLE_APPLICATION[key] for key in ("code", "procedure", "agency", "link")})
        notify(person, name, facts)
        sent[person.email] = name
    db.session.commit()

    # Every e-mail over real SMTP, once, with the subject in the recipient's language.
    assert sorted(mail["To"] for mail in smtp_server) == sorted(sent)
    for mail in smtp_server:
        assert mail["Subject"] and "{{" not in mail.get_content()
    # Every SMS on the gateway's own list, and the gateway's delivery reports came back to each row.
    assert wait_for(lambda: len(gateway.messages()) == len(EVENTS))

    def all_delivered() -> bool:
        db.session.rollback()
        rows = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
        return all(row.state == DeliveryState.DELIVERED for row in rows)

    assert wait_for(all_delivered)
    rows = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert {row.language for row in rows} == {language}
    accepted = next(row for row in rows if row.event == "application_accepted")
    # The demo pack words this Vietnamese SMS without diacritics (one GSM-7 segment); English is ours.
    assert ("da duoc tiep nhan" in accepted.body) if language == "vi" else ("accepted" in accepted.body)
