"""Two officers acting on the same application at the same moment, in real concurrent sessions."""

import threading

import pytest
from sqlalchemy.orm.exc import StaleDataError

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.procedures import workflow
from onestop.procedures.models import Application, ApplicationEvent, IssuedSlip


def _race(app, application_id: int, actions) -> list[str]:
    """Run each action in its own thread, session and transaction; all read before any writes.

    Each ends "done", "lost" (its UPDATE matched no row: someone else changed the file first) or
    "refused" (the service told the officer why not).
    """
    from onestop.errors import OnestopError

    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        with app.test_request_context():
            application = db.session.get(Application, application_id)
            application.events, application.slips, application.clock, application.steps  # noqa: B018  (what the services read)
            barrier.wait(timeout=10)
            try:
                action(application)
                db.session.commit()
                outcomes.append("done")
            except StaleDataError:
                db.session.rollback()
                outcomes.append("lost")
            except OnestopError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def test_two_clerks_accept_the_same_file_once(app, staff, filed):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent sessions (SQLite serialises writers)")
    _citizen, application_id, _client = filed
    clerk_id = staff["clerk"].id
    db.session.remove()

    def accept(application):
        workflow.accept(application, db.session.get(User, clerk_id))

    assert _race(app, application_id, [accept, accept]) == ["done", "lost"]
    assert db.session.scalar(db.select(db.func.count()).where(ApplicationEvent.action == "accept")) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(IssuedSlip)) == 1


def test_accept_and_refuse_at_once_apply_one_of_them(app, staff, filed):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent sessions (SQLite serialises writers)")
    _citizen, application_id, _client = filed
    clerk_id = staff["clerk"].id
    db.session.remove()

    def accept(application):
        workflow.accept(application, db.session.get(User, clerk_id))

    def refuse(application):
        workflow.refuse(application, db.session.get(User, clerk_id), "Không thuộc thẩm quyền")

    assert _race(app, application_id, [accept, refuse]) == ["done", "lost"]
    application = db.session.get(Application, application_id)
    events = [e.action for e in application.events if e.action in ("accept", "refuse")]
    assert len(events) == 1
    assert application.state == ("received" if events == ["accept"] else "refused")
    assert len(application.slips) == 1


def _answering(user_id: int):
    def answer(application):
        workflow.answer(application, db.session.get(User, user_id), "agree", "Đồng ý")

    return answer


def test_two_agencies_answer_their_parallel_steps_at_once_and_both_count(app, staff, create_staff, create_citizen):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent sessions (SQLite serialises writers)")
    from tests.office.test_routes import JUSTICE, WARD, _journey

    application_id, *_ = _journey(app, staff, create_staff, create_citizen, (JUSTICE, WARD))
    justice = db.session.scalar(db.select(User).where(User.full_name == f"Chuyên viên {JUSTICE}")).id
    ward = db.session.scalar(db.select(User).where(User.full_name == f"Chuyên viên {WARD}")).id
    db.session.remove()
    assert _race(app, application_id, [_answering(justice), _answering(ward)]) == ["done", "done"]
    application = db.session.get(Application, application_id)
    assert application.state == "awaiting_approval"
    assert len([event for event in application.events if event.action == "answer"]) == 2


def test_two_officers_answer_the_same_step_at_once_and_one_wins(app, staff, create_staff, create_citizen):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent sessions (SQLite serialises writers)")
    from onestop.accounts.models import Role
    from tests.office.test_routes import JUSTICE, _journey

    application_id, *_ = _journey(app, staff, create_staff, create_citizen, (JUSTICE,))
    first = db.session.scalar(db.select(User).where(User.full_name == f"Chuyên viên {JUSTICE}")).id
    second = create_staff(Role.SPECIALIST, JUSTICE, "Chuyên viên thứ hai").id
    db.session.remove()
    assert _race(app, application_id, [_answering(first), _answering(second)]) == ["done", "refused"]
    application = db.session.get(Application, application_id)
    assert len([event for event in application.events if event.action == "answer"]) == 1
    assert application.state == "awaiting_approval"
