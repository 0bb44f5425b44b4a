"""Work held until commit (onestop.handoff): run once after the commit, dropped with what rolls back."""

from sqlalchemy import select

from onestop import handoff
from onestop.extensions import db
from onestop.notifications.models import Channel, OutboxMessage
from onestop.notifications.outbox import queue_message


def test_work_runs_after_the_commit_and_not_before():
    ran = []
    handoff.after_commit(ran.append, "receipt")
    db.session.flush()
    assert ran == []
    db.session.commit()
    assert ran == ["receipt"]
    db.session.commit()  # a second commit does not run it again
    assert ran == ["receipt"]


def test_a_rolled_back_savepoint_drops_only_its_own_work():
    ran = []
    handoff.after_commit(ran.append, "outer")
    savepoint = db.session.begin_nested()
    handoff.after_commit(ran.append, "inner")
    savepoint.rollback()
    db.session.commit()
    assert ran == ["outer"]


def test_a_released_savepoint_keeps_its_work_for_the_outer_commit():
    ran = []
    with db.session.begin_nested():
        handoff.after_commit(ran.append, "inner")
    assert ran == []
    db.session.commit()
    assert ran == ["inner"]


def test_a_rollback_of_the_transaction_drops_everything():
    ran = []
    handoff.after_commit(ran.append, "gone")
    db.session.rollback()
    db.session.commit()
    assert ran == []


def test_a_failing_callback_does_not_stop_the_others():
    ran = []

    def broken():
        raise ConnectionError("broker down")

    handoff.after_commit(broken)
    handoff.after_commit(ran.append, "still runs")
    db.session.commit()
    assert ran == ["still runs"]


def test_an_e_mail_queued_before_a_failed_savepoint_is_still_delivered(app):
    """The outbox used to forget every pending message when any savepoint rolled back."""
    queue_message(Channel.EMAIL, "lan@example.com", "Body", subject="Hello")
    try:
        with db.session.begin_nested():
            queue_message(Channel.EMAIL, "other@example.com", "Gone", subject="Gone")
            raise ValueError("a nested step failed")
    except ValueError:
        pass
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert [row.recipient for row in rows] == ["lan@example.com"]
    # Delivered by the (eager) worker right after the commit, not left for the sweep.
    assert rows[0].sent_at is not None or rows[0].attempts > 0
