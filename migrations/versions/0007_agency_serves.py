"""Agencies serve administrative units; a procedure may have no single receiving agency

Procedures received by the applicant's address (or by one of several agencies the citizen picks)
have no one receiving agency: the rule in their definition decides per file, from the units each
agency lists in `serves`.

Revision ID: 0007_agency_serves
Revises: 0006_queue_indexes
Create Date: 2026-12-02 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_agency_serves'
down_revision = '0006_queue_indexes'
branch_labels = None
depends_on = None


def _without_foreign_key_checks(change):
    """SQLite rebuilds a table to change a column, while rows of other tables point at it.

    The pragma only takes effect outside a transaction: what came before is committed first, and the
    keys are checked once the tables are rebuilt.
    """
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        change()
        return
    raw = bind.connection.dbapi_connection
    raw.commit()
    raw.execute('PRAGMA foreign_keys=OFF')
    try:
        change()
        broken = bind.execute(sa.text('PRAGMA foreign_key_check')).fetchall()
        if broken:
            raise RuntimeError(f'foreign keys broken by the migration: {broken}')
        raw.commit()
    finally:
        raw.execute('PRAGMA foreign_keys=ON')


def _serves_and_nullable_receiver():
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serves', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.alter_column('receiving_agency_id', existing_type=sa.Integer(), nullable=True)


def _required_receiver():
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.alter_column('receiving_agency_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('serves')


def upgrade():
    _without_foreign_key_checks(_serves_and_nullable_receiver)


def downgrade():
    # The older schema needs one receiving agency: take the first agency linked to the procedure.
    op.execute(sa.text(
        'UPDATE procedure SET receiving_agency_id = (SELECT MIN(agency_id) FROM procedure_agency '
        'WHERE procedure_agency.procedure_id = procedure.id) WHERE receiving_agency_id IS NULL'
    ))
    _without_foreign_key_checks(_required_receiver)
