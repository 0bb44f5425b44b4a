"""A dashboard page's sums are kept per process until the aggregation writes again; "overdue now" is live."""

import re
from datetime import date

from onestop.dashboards.aggregate import aggregate_day
from onestop.extensions import db
from tests.conftest import login
from tests.dashboards.conftest import NOVEMBER, at


def _text(client) -> str:
    html = client.get("/office/dashboard", query_string=NOVEMBER, follow_redirects=True).get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_figures_change_with_the_aggregation_and_overdue_now_at_once(month, app, people, demo):
    client = app.test_client()
    login(client, people["leader"].email)
    client.get("/lang/en?next=/")
    before = _text(client)
    assert "Decided late 1 of 4 (25%)" in before
    assert "Overdue now 1 " in before

    # The overdue file is decided, late, on 20 November: the back office moves at once...
    a7 = db.session.get(type(month["A7"]), month["A7"].id)
    a7.state, a7.finished_at, a7.result_delivery = "returned", at(20), "online"
    db.session.commit()
    moved = _text(client)
    assert "Overdue now 0 " in moved
    # ...the summed figures wait for the aggregation of that day (every few minutes for today)...
    assert "Decided late 1 of 4 (25%)" in moved

    aggregate_day(demo, date(2026, 11, 20), today=date(2026, 12, 2))
    db.session.commit()
    # ...and change as soon as it has run, in every process (the province's dashboards revision moved).
    assert "Decided late 2 of 5 (40%)" in _text(client)


def test_without_the_memo_the_page_sums_every_time(month, app, people, demo, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_MEMO_ENTRIES", 0)
    kept = len(app.extensions.get("dashboard_memo", ()))
    client = app.test_client()
    login(client, people["leader"].email)
    client.get("/lang/en?next=/")
    assert "Decided late 1 of 4 (25%)" in _text(client)
    assert len(app.extensions.get("dashboard_memo", ())) == kept
