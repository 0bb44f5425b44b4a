"""Work held until the transaction that asked for it commits: one mechanism for every package.

A Celery task queued before the commit could run before its rows exist, and work asked for inside a
savepoint that rolls back must go with it while the rest of the transaction goes on. So each piece
of held work remembers the (nested) transaction it was asked for in:

- `after_commit(callback, *args)`: run after the outermost transaction commits (queue a task, delete
  a file no row uses any more). A failing callback is logged and the others still run; whatever it
  was for is picked up again by the periodic sweeps.
- `hold(kind, item)` / `take(kind)`: items a package collects during the transaction and settles
  itself just before the commit (the audit trail appends its records as the commit's last statements).

A savepoint that rolls back drops what was held inside it, and only that; a rollback of the whole
transaction drops everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from onestop.extensions import db

_HELD = "onestop.handoff"
_AFTER_COMMIT = "after-commit"
_KEEP = "onestop.keep_despite_refusal"


def hold(kind: str, item: Any, session: Session | None = None) -> None:
    """Keep `item` under `kind` until this transaction commits, or drop it with the savepoint that rolls back."""
    session = session or db.session()
    session.connection()  # begin the transaction now, so that its end settles what it holds
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_HELD, []).append((transaction, kind, item))


def take(kind: str, session: Session | None = None) -> list:
    """Everything held under `kind` in this session, in the order it was held; it is held no more."""
    session = session or db.session()
    held = session.info.get(_HELD) or []
    session.info[_HELD] = [entry for entry in held if entry[1] != kind]
    return [item for _transaction, entry_kind, item in held if entry_kind == kind]


def keep_despite_refusal(session: Session | None = None) -> None:
    """What this transaction did so far stands even if the reply reports a refusal (a 4xx).

    For services that do several independent things in one request and keep those that succeeded
    (each in its own savepoint), while telling the person about the rest.
    """
    (session or db.session()).info[_KEEP] = True


def should_keep(session: Session | None = None) -> bool:
    return bool((session or db.session()).info.pop(_KEEP, False))


def after_commit(callback: Callable[..., Any], *args: Any) -> None:
    """Call `callback(*args)` once the outermost transaction has committed; never on rollback."""
    hold(_AFTER_COMMIT, (callback, args))


def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction may still roll back
        return
    for callback, args in take(_AFTER_COMMIT, session):
        try:
            callback(*args)
        except Exception:  # a broker or store is down: the periodic sweeps pick the work up
            current_app.logger.exception("after-commit work %s%s failed", getattr(callback, "__name__", callback), args)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    held = session.info.get(_HELD)
    if held:
        session.info[_HELD] = [entry for entry in held if not _within(entry[0], previous_transaction)]


def _drop_ended(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without committing (rollback, close): nothing it held survives."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_HELD, None)


def init_app() -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    for name, listener in (
        ("after_commit", _run_after_commit),
        ("after_soft_rollback", _drop_rolled_back),
        ("after_transaction_end", _drop_ended),
    ):
        if not event.contains(FlaskSession, name, listener):
            event.listen(FlaskSession, name, listener)
