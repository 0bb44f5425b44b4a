"""Migration 0007 on a SQLite database that already holds a procedure and its links."""

import flask_migrate
from sqlalchemy import text

from onestop import create_app
from onestop.extensions import db
from tests.conftest import _config

ROWS = [
    "INSERT INTO province (id, code, identifier, name, short_name, branding, working_hours, cutoff_time, timezone,"
    " contact, units, catalogue_revision, loaded_at) VALUES (1, 'MS', '000.00.00.H99', '{}', '{}', '{}', '[]',"
    " '15:00', 'Asia/Ho_Chi_Minh', '{}', '[]', 0, '2026-01-01')",
    "INSERT INTO agency (id, province_id, code, name, kind, address, phone, email, opening_hours, is_active)"
    " VALUES (1, 1, '000.00.30.H99', '{}', 'commune', '', '', '', '', 1)",
    "INSERT INTO sector (id, province_id, code, name) VALUES (1, 1, 'ho-tich', '{}')",
    "INSERT INTO procedure (id, province_id, code, slug, sector_id, receiving_agency_id, online_level,"
    " processing_days, name, summary, search_name, search_text, featured, filing_count, is_active, version,"
    " definition, updated_at) VALUES (1, 1, '1.001193', 'khai-sinh', 1, 1, 'full', 0, '{}', '{}', '', '', 0, 0, 1,"
    " 1, '{}', '2026-01-01')",
    "INSERT INTO procedure_agency (procedure_id, agency_id) VALUES (1, 1)",
]


def test_upgrading_and_downgrading_a_database_with_procedures_keeps_them(tmp_path):
    app = create_app(_config(f"sqlite:///{tmp_path / 'old.db'}", tmp_path))
    with app.app_context():
        flask_migrate.upgrade(revision="0006_queue_indexes")
        with db.engine.begin() as connection:
            for row in ROWS:
                connection.execute(text(row))
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT id, serves FROM agency")).all() == [(1, "[]")]
            connection.execute(text("UPDATE procedure SET receiving_agency_id = NULL"))
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        flask_migrate.downgrade(revision="0006_queue_indexes")
        with db.engine.begin() as connection:
            # Back to one receiving agency: the procedure's first linked agency.
            assert connection.execute(text("SELECT receiving_agency_id FROM procedure")).all() == [(1,)]
            assert connection.execute(text("SELECT count(*) FROM procedure_agency")).scalar() == 1
        db.engine.dispose()
