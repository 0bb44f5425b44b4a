"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL.

The suite's database is built from empty by the migrations alone (tests/conftest.py); here Alembic's
autogenerate compares it with the models. A model changed without a migration (or a migration that
builds something else) fails with the list of differences, as `flask db migrate` would write them.
"""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String

from onestop.extensions import db


def _differences(metadata: MetaData) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, metadata)


def _listing(differences: list) -> str:
    return "\n".join(f"  {difference}" for difference in differences)


def test_the_migrated_database_matches_the_models(app):
    differences = _differences(db.metadata)
    assert not differences, f"the migrations and the models differ ({db.engine.dialect.name}):\n{_listing(differences)}"


def test_a_model_change_without_its_migration_is_listed(app):
    changed = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["application"].append_column(Column("nickname", String(40)))
    Index("ix_application_nickname", changed.tables["application"].c.nickname)
    listing = _listing(_differences(changed))
    assert "add_column" in listing and "nickname" in listing
    assert "add_index" in listing and "ix_application_nickname" in listing
