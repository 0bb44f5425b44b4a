"""A pack words its own messages in notifications.yaml; a broken template names the file and line."""

from sqlalchemy import select

from onestop.extensions import db
from onestop.notifications.models import NotificationTemplate
from onestop.provinces.pack import read_pack
from onestop.provinces.services import apply_pack
from tests.conftest import DEMO_PACK
from tests.provinces.test_pack_rules import line_of, pack, problems_of  # noqa: F401 (fixture)

MESSAGES = """messages:
  - event: application_accepted
    channel: sms
    language: vi
    body: "Ho so {{ code }} da tiep nhan"
  - event: fee_due
    channel: email
    language: en
    subject: "Fee for {{ code }}"
    body: |
      A fee of {{ amount | money }} is due.
      Pay here: {{ payment_url }}
  - event: no_such_event
    channel: sms
    language: vi
    body: "x"
  - event: refund_sent
    channel: sms
    language: vi
    body: "{% if amount %}unclosed"
"""


def test_each_broken_message_is_reported_at_its_line(pack):  # noqa: F811
    (pack / "notifications.yaml").write_text(MESSAGES, encoding="utf-8")
    assert problems_of(pack) == [
        ("notifications.yaml", line_of(MESSAGES, "Pay here")),
        ("notifications.yaml", line_of(MESSAGES, "event: no_such_event")),
        ("notifications.yaml", line_of(MESSAGES, '"{% if amount %}unclosed"')),
    ]


def test_the_demo_pack_s_wording_is_loaded_and_an_admin_edit_survives_a_reload(app, demo):
    [row] = db.session.scalars(select(NotificationTemplate)).all()
    assert (row.event, row.channel, row.language, row.unaccented, row.source) == (
        "application_accepted",
        "sms",
        "vi",
        True,
        "pack",
    )
    row.source, row.body = "admin", "Ho so {{ code }}: da nhan"
    db.session.commit()
    apply_pack(read_pack(DEMO_PACK))
    db.session.commit()
    [kept] = db.session.scalars(select(NotificationTemplate)).all()
    assert kept.source == "admin" and kept.body == "Ho so {{ code }}: da nhan"
