"""The daily deadline reminder to each agency's leaders: what is late or due, once a day."""

from datetime import timedelta

from onestop.extensions import db
from onestop.office.reminders import remind_deadlines
from onestop.procedures import clock
from onestop.procedures.models import Application
from tests.conftest import outbox
from tests.office.conftest import act, as_staff


def test_leaders_hear_once_a_day_about_late_and_due_files(app, staff, filed, demo):
    _citizen, application_id, _client = filed
    act(as_staff(app, staff["clerk"]), application_id, "accept")
    assert remind_deadlines() == 0  # due in ten working days: nothing to say yet
    application = db.session.get(Application, application_id)
    today = clock.local_today(clock.ProvinceCalendar.for_province(demo))
    application.due_on = today - timedelta(days=2)
    db.session.commit()

    assert remind_deadlines() == 2  # the police's two leaders: the pack's and this test's (no one holds it yet)
    [mail] = [
        m for m in outbox("email") if m.recipient == staff["leader"].email and m.event == "staff_deadline_summary"
    ]
    assert application.code in mail.body and "QUÁ HẠN" in mail.body
    assert "Công an tỉnh Minh Sơn" in mail.subject
    assert not [m for m in outbox("email") if m.recipient == staff["ward_clerk"].email]
    assert remind_deadlines() == 0  # run again the same day: nothing twice


def test_the_command_runs_the_reminder(app, staff, filed):
    result = app.test_cli_runner().invoke(args=["office", "remind"])
    assert result.exit_code == 0 and "0" in result.output
