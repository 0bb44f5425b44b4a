"""Procedure-level indicators: what each procedure's definition says, as columns; indexes to probe the facts

The service index counts, per procedure of an agency or the province, whether it can be filed online (it has
a form), whether it charges a fee, and which of the parts the law requires published each version leaves
empty. Reading those from every procedure's JSON definition on every dashboard page costs a parse of each
definition (about 0.1 ms each on PostgreSQL); they are worked out once when a pack is loaded instead
(onestop/procedures/parts.py) and filled here from the definitions already stored.

It also asks whether any file of a procedure was filed online (submitted_day) or paid online (finished_day)
in the period. Two partial indexes on dashboard_fact (procedure_id, day, agency_id), over the rows filed
online and the rows paid online, answer each with one probe instead of a scan of the period's facts.

Revision ID: 0026_procedure_figures
Revises: 0025_index_rules
Create Date: 2026-12-03 00:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026_procedure_figures"
down_revision = "0025_index_rules"
branch_labels = None
depends_on = None

# The rules of onestop/procedures/parts.py as they stand at this revision (a migration does not import the app).
PARTS = ("name", "steps", "ways", "papers", "time_limit", "audience", "agency")


def _says_something(value):
    if isinstance(value, dict):
        return any(isinstance(one, str) and one.strip() for one in value.values())
    return isinstance(value, str) and bool(value.strip())


def _has_form(definition):
    return bool(definition.get("form"))


def _charges_fee(definition):
    fees = definition.get("fees")
    if not isinstance(fees, dict):
        return False
    return any(isinstance(item, dict) and (item.get("amount") or 0) > 0 for item in fees.get("items") or [])


def _missing_parts(definition):
    receiving = definition.get("receiving") or {}
    present = {
        "name": _says_something(definition.get("name")),
        "steps": any(_says_something(step) for step in definition.get("steps") or []),
        "ways": definition.get("online_level") in ("full", "partial"),
        "papers": bool(definition.get("documents")) or _has_form(definition),
        "time_limit": isinstance((definition.get("processing_time") or {}).get("working_days"), int),
        "audience": _says_something(definition.get("audience")),
        "agency": bool(
            definition.get("receiving_agency") or receiving.get("agencies") or receiving.get("agency_kind")
        ),
    }
    return [key for key in PARTS if not present[key]]


def _definition(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def upgrade():
    op.add_column("procedure", sa.Column("has_form", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("procedure", sa.Column("charges_fee", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("procedure_version", sa.Column("missing_parts", sa.JSON(), nullable=False, server_default="[]"))
    bind = op.get_bind()
    procedure = sa.table(
        "procedure", sa.column("id"), sa.column("definition"), sa.column("has_form"), sa.column("charges_fee")
    )
    for row_id, definition in bind.execute(sa.text("SELECT id, definition FROM procedure")).all():
        definition = _definition(definition)
        bind.execute(
            procedure.update()
            .where(procedure.c.id == row_id)
            .values(has_form=_has_form(definition), charges_fee=_charges_fee(definition))
        )
    version = sa.table("procedure_version", sa.column("id"), sa.column("missing_parts", sa.JSON()))
    for row_id, definition in bind.execute(sa.text("SELECT id, definition FROM procedure_version")).all():
        missing = _missing_parts(_definition(definition))
        if missing:
            bind.execute(version.update().where(version.c.id == row_id).values(missing_parts=missing))
    op.create_index(
        "ix_dashboard_fact_procedure_online",
        "dashboard_fact",
        ["procedure_id", "submitted_day", "agency_id"],
        postgresql_where=sa.text("online"),
        sqlite_where=sa.text("online = 1"),
    )
    op.create_index(
        "ix_dashboard_fact_procedure_paid",
        "dashboard_fact",
        ["procedure_id", "finished_day", "agency_id"],
        postgresql_where=sa.text("paid_online"),
        sqlite_where=sa.text("paid_online = 1"),
    )


def downgrade():
    op.drop_index("ix_dashboard_fact_procedure_paid", table_name="dashboard_fact")
    op.drop_index("ix_dashboard_fact_procedure_online", table_name="dashboard_fact")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of these tables would trip the foreign keys pointing at them.
    op.drop_column("procedure_version", "missing_parts")
    op.drop_column("procedure", "charges_fee")
    op.drop_column("procedure", "has_form")
