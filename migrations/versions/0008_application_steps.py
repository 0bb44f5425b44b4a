"""Application steps: each visit of a file to a step of its procedure's route

Routes make each procedure a list of steps owned by (agency, role) pairs. Every application gets the
step rows its history implies on the one-step-per-stage route it was filed under (reception,
processing, approval, delivery at the receiving agency, no budgets of their own): the events are
read in order and each lifecycle move closes one step and opens the next, so no history is lost and
the files in progress show up in the per-step queues.

Revision ID: 0008_application_steps
Revises: 0007_agency_serves
Create Date: 2026-12-02 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_application_steps'
down_revision = '0007_agency_serves'
branch_labels = None
depends_on = None

OPEN = sa.text("left_at IS NULL")
COUNTER = sa.text("state IN ('approved', 'submitted')")
# Which step of the default route a file is at after each event's target state.
STEP_OF_STATE = {
    'submitted': ('reception', 'reception', 'clerk', 0),
    'received': ('processing', 'processing', 'specialist', 1),
    'in_progress': ('processing', 'processing', 'specialist', 1),
    'awaiting_approval': ('approval', 'approval', 'leader', 2),
    'approved': ('delivery', 'delivery', 'clerk', 3),
}
FINAL = {'returned': 'done', 'refused': 'ended', 'withdrawn': 'ended'}


def upgrade():
    op.create_table(
        'application_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('step_id', sa.String(length=60), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('group_index', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('holder_id', sa.Integer(), nullable=True),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('budget_days', sa.Integer(), nullable=True),
        sa.Column('budget_hours', sa.Integer(), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('opinion', sa.String(length=20), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_application_step_agency_id_agency')),
        sa.ForeignKeyConstraint(
            ['application_id'], ['application.id'], name=op.f('fk_application_step_application_id_application'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_application_step_document_id_document')),
        sa.ForeignKeyConstraint(
            ['holder_id'], ['user_account.id'], name=op.f('fk_application_step_holder_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_step')),
    )
    with op.batch_alter_table('application_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_step_application_id'), ['application_id'], unique=False)
        batch_op.create_index(
            'ix_application_step_open', ['agency_id', 'stage', 'entered_at', 'id'], unique=False,
            postgresql_where=OPEN, sqlite_where=OPEN,
        )
        batch_op.create_index(
            'ix_application_step_open_due', ['agency_id', 'due_at', 'id'], unique=False,
            postgresql_where=OPEN, sqlite_where=OPEN,
        )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_steps', sa.JSON(), nullable=True))
        batch_op.create_index(
            'ix_application_counter', ['receiving_agency_id', 'updated_at', 'id'], unique=False,
            postgresql_where=COUNTER, sqlite_where=COUNTER,
        )
    _backfill()


def _backfill():
    """Replay each sent application's events onto the default route's steps."""
    connection = op.get_bind()
    applications = sa.table(
        'application', sa.column('id'), sa.column('state'), sa.column('receiving_agency_id'),
        sa.column('holder_id'), sa.column('resume_state'), sa.column('resume_steps', sa.JSON()),
    )
    events = sa.table(
        'application_event', sa.column('id'), sa.column('application_id'), sa.column('action'),
        sa.column('to_state'), sa.column('created_at'),
    )
    steps = sa.table(
        'application_step', sa.column('application_id'), sa.column('step_id'), sa.column('stage'),
        sa.column('group_index'), sa.column('agency_id'), sa.column('role'), sa.column('holder_id'),
        sa.column('entered_at'), sa.column('left_at'), sa.column('outcome'), sa.column('note'),
    )
    rows = []
    for application in connection.execute(sa.select(applications).where(applications.c.state != 'draft')):
        history = connection.execute(
            sa.select(events.c.action, events.c.to_state, events.c.created_at)
            .where(events.c.application_id == application.id)
            .order_by(events.c.id)
        ).all()
        current = None
        for action, to_state, at in history:
            target = STEP_OF_STATE.get(to_state)
            if current is not None and (target is None or target[0] != current['step_id']):
                current['left_at'] = at
                current['outcome'] = FINAL.get(to_state) or ('suspended' if to_state == 'supplement_requested' else 'done')
                if action == 'send_back':
                    current['outcome'] = 'sent_back'
                rows.append(current)
                current = None
            if target is not None and current is None:
                step_id, stage, role, index = target
                current = {
                    'application_id': application.id, 'step_id': step_id, 'stage': stage, 'group_index': index,
                    'agency_id': application.receiving_agency_id, 'role': role,
                    'holder_id': application.holder_id if stage == 'processing' else None,
                    'entered_at': at, 'left_at': None, 'outcome': None, 'note': '',
                }
        if current is not None:
            rows.append(current)
        if application.state == 'supplement_requested' and application.resume_state:
            step = STEP_OF_STATE.get(application.resume_state)
            connection.execute(
                applications.update().where(applications.c.id == application.id)
                .values(resume_steps=[step[0]] if step else [])
            )
    if rows:
        connection.execute(steps.insert(), rows)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_counter', postgresql_where=COUNTER, sqlite_where=COUNTER)
        batch_op.drop_column('resume_steps')
    with op.batch_alter_table('application_step', schema=None) as batch_op:
        batch_op.drop_index('ix_application_step_open_due', postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_index('ix_application_step_open', postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_index(batch_op.f('ix_application_step_application_id'))
    op.drop_table('application_step')
