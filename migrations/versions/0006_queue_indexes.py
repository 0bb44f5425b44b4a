"""Queue indexes: partial indexes for the back-office lists of several states

The overdue list read ix_application_agency_due from the oldest due date on, past every finished
file (280 ms at a million applications), and "my files" sorted all of an officer's files on each
page. Each list of several states now reads a partial index over exactly those states, in the list's
order, with every condition but the procedure in the index. The two full indexes they replace served
nothing else.

Revision ID: 0006_queue_indexes
Revises: 0005_payments
Create Date: 2026-11-24 11:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_queue_indexes'
down_revision = '0005_payments'
branch_labels = None
depends_on = None

RUNNING = sa.text("state IN ('approved', 'awaiting_approval', 'in_progress', 'received')")
DECIDED = sa.text("state IN ('refused', 'returned')")


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_agency_due')
        batch_op.drop_index('ix_application_agency_submitted')
        for name, columns, where in (
            ('ix_application_running_due', ['receiving_agency_id', 'due_on', 'id'], RUNNING),
            ('ix_application_decided', ['receiving_agency_id', 'submitted_at', 'id'], DECIDED),
            ('ix_application_holder_running', ['receiving_agency_id', 'holder_id', 'submitted_at', 'id'], RUNNING),
            ('ix_application_holder_running_due', ['receiving_agency_id', 'holder_id', 'due_on', 'id'], RUNNING),
        ):
            batch_op.create_index(name, columns, unique=False, postgresql_where=where, sqlite_where=where)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_holder_running_due')
        batch_op.drop_index('ix_application_holder_running')
        batch_op.drop_index('ix_application_decided')
        batch_op.drop_index('ix_application_running_due')
        batch_op.create_index('ix_application_agency_submitted', ['receiving_agency_id', 'submitted_at', 'id'], unique=False)
        batch_op.create_index('ix_application_agency_due', ['receiving_agency_id', 'due_on', 'id'], unique=False)
