"""Month rows against the day rows they are summed from: whole months, partial months, reloads, rebuilds."""

from datetime import date

from sqlalchemy import func, select

from onestop.dashboards import figures, months
from onestop.dashboards.aggregate import aggregate_day, rebuild
from onestop.dashboards.models import DashboardDay, DashboardDuration, DashboardMonth, DashboardMonthDuration
from onestop.extensions import db
from onestop.provinces.models import Agency
from tests.dashboards.conftest import POLICE


def _police() -> int:
    return db.session.scalar(select(Agency.id).where(Agency.code == POLICE))


def _day_sums(agency_id: int, first: date, last: date) -> dict:
    """The plain sum of the day rows, the reference every read must agree with."""
    names = ("received", "decided", "on_time", "late", "refused", "returned_online", "working_days_sum")
    row = db.session.execute(
        select(*[func.coalesce(func.sum(getattr(DashboardDay, name)), 0) for name in names]).where(
            DashboardDay.agency_id == agency_id, DashboardDay.day >= first, DashboardDay.day <= last
        )
    ).one()
    return dict(zip(names, (int(value) for value in row), strict=True))


def _month_rows() -> list[tuple]:
    return [
        (row.agency_id, row.month, row.received, row.decided, row.on_time, row.late, row.working_days_sum)
        for row in db.session.scalars(select(DashboardMonth).order_by(DashboardMonth.agency_id, DashboardMonth.month))
    ]


def test_a_period_split_into_whole_and_partial_months():
    parts = months.spans(date(2026, 10, 15), date(2026, 12, 2))
    assert parts.months == [date(2026, 11, 1)]
    assert parts.days == [(date(2026, 10, 15), date(2026, 10, 31)), (date(2026, 12, 1), date(2026, 12, 2))]
    # The period's first day inside a longer trend cuts its month in two.
    parts = months.spans(date(2026, 1, 1), date(2026, 11, 30), cuts=(date(2026, 11, 10),))
    assert parts.months[-1] == date(2026, 10, 1) and len(parts.months) == 10
    assert parts.days == [(date(2026, 11, 1), date(2026, 11, 9)), (date(2026, 11, 10), date(2026, 11, 30))]


def test_month_rows_and_day_rows_agree_across_a_partial_month(month):
    police = _police()
    november = db.session.get(DashboardMonth, (police, date(2026, 11, 1)))
    assert (november.received, november.decided, november.on_time, november.late) == (9, 4, 3, 1)
    # 3 to 12 November, by hand: received A3, A4, A5, A6, A7, A9, A10; decided A1 (6th, on time), A4 (5th, on
    # time, refused), A2 (11th, late); A3 ended on the 13th.
    partial = figures.totals([police], date(2026, 11, 3), date(2026, 11, 12))
    assert (partial["received"], partial["decided"], partial["on_time"], partial["late"]) == (7, 3, 2, 1)
    for first, last in (
        (date(2026, 11, 3), date(2026, 11, 12)),
        (date(2026, 10, 15), date(2026, 12, 2)),
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 11, 6), date(2026, 12, 31)),
    ):
        read = figures.totals([police], first, last)
        assert {name: read[name] for name in _day_sums(police, first, last)} == _day_sums(police, first, last)
    # The histogram too: 4, 7, 5 and 1 working days in November; the 6th to the 12th holds A1 (4) and A2 (7).
    assert figures.histogram([police], date(2026, 11, 1), date(2026, 11, 30)) == {4: 1, 7: 1, 5: 1, 1: 1}
    assert figures.histogram([police], date(2026, 11, 6), date(2026, 11, 12)) == {4: 1, 7: 1}
    in_days = select(func.sum(DashboardDuration.files)).where(DashboardDuration.agency_id == police)
    in_months = select(func.sum(DashboardMonthDuration.files)).where(DashboardMonthDuration.agency_id == police)
    assert db.session.scalar(in_months) == db.session.scalar(in_days) == 4


def test_the_trend_of_a_partial_period_reads_its_year_and_stays_exact(month):
    police = _police()
    sums, trend, counts = figures.read(
        [police], date(2026, 11, 10), date(2026, 11, 30), date(2026, 1, 1), durations=True
    )
    # A2 (11th, 7 days) and A3 (13th, 5 days) ended in the period; read with the sums, as alone.
    assert counts == figures.histogram([police], date(2026, 11, 10), date(2026, 11, 30)) == {7: 1, 5: 1}
    assert sums[police]["received"] == _day_sums(police, date(2026, 11, 10), date(2026, 11, 30))["received"] == 3
    by_label = dict(trend)
    assert by_label["11/2026"]["received"] == 9 and by_label["10/2026"]["received"] == 0
    assert len(trend) == 11


def test_a_reload_and_a_rebuild_leave_the_same_month_rows(month, demo):
    before = _month_rows()
    assert before
    for _ in range(2):
        aggregate_day(demo, date(2026, 11, 11), today=date(2026, 12, 2))
        db.session.commit()
    assert _month_rows() == before
    rebuild(demo, until=date(2026, 12, 2))
    db.session.commit()
    assert _month_rows() == before


def test_the_migration_fills_month_rows_from_the_day_rows_already_there(tmp_path):
    import flask_migrate
    from sqlalchemy import text

    from onestop import create_app
    from tests.conftest import _config

    app = create_app(_config(f"sqlite:///{tmp_path / 'old.db'}", tmp_path))
    with app.app_context():
        flask_migrate.upgrade(revision="0021_dashboards")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO province (id, code, identifier, name, short_name, branding, working_hours,"
                    " cutoff_time, timezone, contact, units, help, catalogue_revision, loaded_at, feedback_days)"
                    " VALUES (1, 'MS', '000.00.00.H99', '{}', '{}', '{}', '[]', '15:00', 'Asia/Ho_Chi_Minh', '{}',"
                    " '[]', '{}', 0, '2026-01-01', 10)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO agency (id, province_id, code, name, kind, address, phone, email, opening_hours,"
                    " serves, is_active) VALUES (1, 1, '000.00.30.H99', '{}', 'commune', '', '', '', '{}', '[]', 1)"
                )
            )
            zeros = "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"
            for day, received, decided in (("2026-10-31", 5, 1), ("2026-11-02", 2, 1), ("2026-11-30", 3, 2)):
                connection.execute(
                    text(
                        "INSERT INTO dashboard_day (agency_id, day, received, decided, received_online, full_received,"
                        " full_online, reused, on_time, late, refused, returned, returned_online, had_fee,"
                        f" paid_online, transferred, working_days_sum, working_days_count, aggregated_at)"
                        f" VALUES (1, '{day}', {received}, {decided}, {zeros}, 0, 0, '2026-12-01')"
                    )
                )
            connection.execute(
                text(
                    "INSERT INTO dashboard_duration (agency_id, day, working_days, files)"
                    " VALUES (1, '2026-11-02', 3, 1)"
                )
            )
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            rows = connection.execute(text("SELECT month, received, decided FROM dashboard_month ORDER BY month")).all()
            durations = connection.execute(
                text("SELECT month, working_days, files FROM dashboard_month_duration")
            ).all()
        assert [tuple(row) for row in rows] == [("2026-10-01", 5, 1), ("2026-11-01", 5, 3)]
        assert [tuple(row) for row in durations] == [("2026-11-01", 3, 1)]
        db.engine.dispose()
