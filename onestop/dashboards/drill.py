"""The files behind a figure: "late: 12 of 340 → these 12 files".

Each list reads the same fact rows the figure was summed from (by agency and day, through an index),
so the list holds exactly as many files as the figure counts. Only the "overdue now" list reads the
applications, through the back office's own overdue index, as its figure does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, not_, select

from onestop.dashboards import figures, memo
from onestop.dashboards.access import Scope
from onestop.dashboards.models import DashboardFact, DashboardTransfer
from onestop.extensions import db
from onestop.procedures.models import RUNNING_STATES, Application

PAGE_SIZE = 50

F = DashboardFact


@dataclass(frozen=True)
class FileList:
    key: str
    title: object
    # Which day of the file places it in a period: "submitted", "finished", "transfer" or "overdue" (today).
    by: str
    condition: object = None


LISTS = {
    item.key: item
    for item in (
        FileList("received", _l("Files received"), "submitted"),
        FileList("online", _l("Files filed online"), "submitted", F.online),
        FileList("counter", _l("Files filed at the counter"), "submitted", not_(F.online)),
        FileList("full_received", _l("Files of full-process online procedures"), "submitted", F.full_level),
        FileList("full_online", _l("Full-process online files"), "submitted", and_(F.full_level, F.online)),
        FileList(
            "full_counter",
            _l("Files of full-process procedures filed at the counter"),
            "submitted",
            and_(F.full_level, not_(F.online)),
        ),
        FileList("reused", _l("Files reusing papers from the data warehouse"), "submitted", F.reused),
        FileList("not_reused", _l("Files reusing no paper from the data warehouse"), "submitted", not_(F.reused)),
        FileList("digitised", _l("Files digitised"), "submitted", F.digitised),
        FileList("not_digitised", _l("Files not digitised"), "submitted", not_(F.digitised)),
        FileList("shared_for_reuse", _l("Files sharing data for reuse"), "submitted", F.shared_for_reuse),
        FileList("not_shared", _l("Files sharing no data for reuse"), "submitted", not_(F.shared_for_reuse)),
        FileList("decided", _l("Files decided"), "finished", F.decided),
        FileList("on_time", _l("Files decided on time"), "finished", and_(F.decided, F.on_time)),
        FileList("late", _l("Files decided late"), "finished", and_(F.decided, not_(F.on_time))),
        FileList(
            "service_ok",
            _l("Files decided on time, with no unsatisfied rating and no complaint"),
            "finished",
            and_(F.decided, F.service_ok),
        ),
        FileList(
            "service_not_ok",
            _l("Files decided late, rated unsatisfied or complained about"),
            "finished",
            and_(F.decided, not_(F.service_ok)),
        ),
        FileList("refused", _l("Files refused"), "finished", F.refused),
        FileList("returned", _l("Results issued"), "finished", F.returned),
        FileList("returned_online", _l("Results issued electronically"), "finished", F.returned_online),
        FileList(
            "returned_offline", _l("Results issued on paper"), "finished", and_(F.returned, not_(F.returned_online))
        ),
        FileList("had_fee", _l("Decided files with a fee"), "finished", F.had_fee),
        FileList("paid_online", _l("Fees paid online"), "finished", F.paid_online),
        FileList("not_paid_online", _l("Fees not paid online"), "finished", and_(F.had_fee, not_(F.paid_online))),
        FileList("transferred", _l("Files sent on to another agency"), "transfer"),
        FileList("overdue", _l("Files overdue now"), "overdue"),
    )
}


@dataclass(frozen=True)
class Page:
    total: int
    # Rows of `_rows`: id, code, state, procedure_id, receiving_agency_id, submitted_at, finished_at, due_on.
    applications: list
    page: int

    @property
    def has_more(self) -> bool:
        return self.page * PAGE_SIZE < self.total


def _ids_query(item: FileList, scope: Scope, first: date, last: date, today: date):
    if item.by == "overdue":
        return select(Application.id.label("id"), Application.due_on.label("sort")).where(
            Application.receiving_agency_id.in_(scope.agency_ids),
            Application.state.in_(sorted(RUNNING_STATES)),
            Application.due_on < today,
        )
    if item.by == "transfer":
        return select(DashboardTransfer.application_id.label("id"), DashboardTransfer.day.label("sort")).where(
            DashboardTransfer.agency_id.in_(scope.agency_ids),
            DashboardTransfer.day >= first,
            DashboardTransfer.day <= last,
        )
    day = F.submitted_day if item.by == "submitted" else F.finished_day
    query = select(F.application_id.label("id"), day.label("sort")).where(
        F.agency_id.in_(scope.agency_ids), day >= first, day <= last
    )
    return query.where(item.condition) if item.condition is not None else query


# How many files a list holds, from the period's sums (one read of the day rows, not a count of the facts).
FROM_SUMS = {
    "counter": lambda t: t["received"] - t["received_online"],
    "online": lambda t: t["received_online"],
    "full_counter": lambda t: t["full_received"] - t["full_online"],
    "not_reused": lambda t: t["received"] - t["reused"],
    "not_paid_online": lambda t: t["had_fee"] - t["paid_online"],
    "not_digitised": lambda t: t["received"] - t["digitised"],
    "not_shared": lambda t: t["received"] - t["shared_for_reuse"],
    "service_not_ok": lambda t: t["decided"] - t["service_ok"],
}
SUMMED = frozenset(LISTS) - {"overdue"}


def count(item: FileList, scope: Scope, first: date, last: date, today: date) -> int:
    """The number of files in a list: the figure's own sum, or (overdue now) one indexed count."""
    if item.key in SUMMED:
        totals = memo.kept(
            scope.province.id,
            ("totals", tuple(scope.agency_ids), first, last),
            lambda: figures.totals(scope.agency_ids, first, last),
        )
        return FROM_SUMS[item.key](totals) if item.key in FROM_SUMS else totals[item.key]
    ids = _ids_query(item, scope, first, last, today).subquery()
    return db.session.scalar(select(func.count()).select_from(ids)) or 0


def _rows(ids: list[int] | None = None):
    """The files of a list as plain rows: only what a row shows (no application objects, no answers; the
    procedure's name comes from the process's catalogue reference)."""
    query = select(
        Application.id,
        Application.code,
        Application.state,
        Application.procedure_id,
        Application.receiving_agency_id,
        Application.submitted_at,
        Application.finished_at,
        Application.due_on,
    )
    return query if ids is None else query.where(Application.id.in_(ids))


def files(item: FileList, scope: Scope, first: date, last: date, today: date, page: int = 1) -> Page:
    """One page of the files behind a figure, newest first, with how many there are in all."""
    ids = _ids_query(item, scope, first, last, today).subquery()
    total = count(item, scope, first, last, today)
    if (page - 1) * PAGE_SIZE >= total:
        # Past the last page (an old link, a hand-typed address): nothing to read, and no deep offset to walk.
        return Page(total, [], page)
    # The page's ids and their applications in one statement.
    chosen = (
        select(ids.c.id, ids.c.sort)
        .order_by(ids.c.sort.desc(), ids.c.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .subquery()
    )
    rows = _rows().join(chosen, chosen.c.id == Application.id).order_by(chosen.c.sort.desc(), chosen.c.id.desc())
    return Page(total, db.session.execute(rows).all(), page)


def all_files(item: FileList, scope: Scope, first: date, last: date, today: date) -> list:
    """Every file of a list (for its export), newest first."""
    ids = _ids_query(item, scope, first, last, today).subquery()
    chosen = db.session.execute(select(ids.c.id).order_by(ids.c.sort.desc(), ids.c.id.desc())).scalars().all()
    found = {}
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        for row in db.session.execute(_rows(chunk)):
            found[row.id] = row
    return [found[i] for i in chosen if i in found]
