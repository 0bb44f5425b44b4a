"""Queue Celery tasks after the transaction that asked for them commits, never before or on rollback.

A task queued before the commit could run before its rows exist; one queued on a rolled-back change
would act on nothing. The periodic sweep (tasks.sweep_payments) re-queues whatever a crash between
the commit and the hand-off left behind, so nothing depends on this hand-off alone.
"""

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

from onestop.extensions import db

_PENDING = "onestop.payments.after_commit"


def after_commit(task, *args) -> None:
    db.session.info.setdefault(_PENDING, []).append((task, args))


def _run_pending(session) -> None:
    for task, args in session.info.pop(_PENDING, []):
        try:
            task.delay(*args)
        except Exception:  # the broker is down: the sweep will pick the work up
            current_app.logger.exception("could not queue %s%s", task.name, args)


def _forget_pending(session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def init_app() -> None:
    if not event.contains(FlaskSession, "after_commit", _run_pending):
        event.listen(FlaskSession, "after_commit", _run_pending)
        event.listen(FlaskSession, "after_soft_rollback", _forget_pending)
