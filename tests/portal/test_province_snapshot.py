"""Each process reuses the served province's row for a few seconds instead of reading it per request."""

from sqlalchemy import event

from onestop.extensions import db
from onestop.portal.context import current_province


def test_the_province_is_read_once_while_the_snapshot_is_fresh(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "PROVINCE_CACHE_SECONDS", 60)
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM province" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert client.get("/privacy").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    # The snapshot carries what pages need without a session.
    with app.test_request_context("/"):
        assert current_province().display_name() == "Tỉnh Minh Sơn"


def test_without_a_snapshot_every_request_reads_the_province(app, client, demo):
    assert app.config["PROVINCE_CACHE_SECONDS"] == 0
    assert "Tỉnh Minh Sơn" in client.get("/privacy").get_data(as_text=True)
