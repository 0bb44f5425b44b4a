"""What a dashboard page sums from the summary tables, kept per process until those tables change.

A period's figures change only when the aggregation writes (every few minutes for today, nightly for
yesterday, a rebuild, a leader's "bring up to date") or when a pack load changes the catalogue (the
publicity figure, the province calendar). The aggregation bumps the province's `dashboards_revision` in
its own transaction, and a pack load bumps `catalogue_revision`; a page reads both with one primary-key
read and reuses what this process already summed for the same scope, period and revisions. Each process
keeps at most DASHBOARD_MEMO_ENTRIES results (least recently used first out; 0 keeps nothing).

The live "overdue now" count and the lists of files are never kept: they follow the back office as it
moves, not the aggregation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g
from sqlalchemy import select, update

from onestop.extensions import db
from onestop.provinces.models import Province

T = TypeVar("T")
_lock = threading.Lock()


def changed(province_id: int) -> None:
    """Tell every process that the province's summary tables changed (in the caller's transaction)."""
    db.session.execute(
        update(Province)
        .where(Province.id == province_id)
        .values(dashboards_revision=Province.dashboards_revision + 1)
        .execution_options(synchronize_session=False)
    )


def _revisions(province_id: int) -> tuple:
    """The province's revisions as the database has them now, read once per request."""
    seen = g.setdefault("_dashboard_revisions", {})
    if province_id not in seen:
        seen[province_id] = tuple(
            db.session.execute(
                select(Province.dashboards_revision, Province.catalogue_revision, Province.loaded_at).where(
                    Province.id == province_id
                )
            ).one()
        )
    return seen[province_id]


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("dashboard_memo", OrderedDict())


def kept(province_id: int, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave in this process for the same `key` since the province's figures last changed."""
    limit = current_app.config.get("DASHBOARD_MEMO_ENTRIES", 0)
    if not limit:
        return compute()
    full_key = (province_id, _revisions(province_id), key)
    store = _store()
    with _lock:
        if full_key in store:
            store.move_to_end(full_key)
            return store[full_key]
    value = compute()
    with _lock:
        store[full_key] = value
        while len(store) > limit:
            store.popitem(last=False)
    return value
