"""Counter consent: a walk-in citizen grants the clerk filing for them their saved papers and details

Before this, a clerk who typed a citizen's ID number at the counter saw the citizen's remembered facts
and warehouse documents. Now the clerk sends the citizen a one-time code; one row per application holds
the hashed code, where it went (masked), the wrong guesses and when the citizen granted access.

Revision ID: 0010_counter_consent
Revises: 0009_session_revocation
Create Date: 2026-12-02 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_counter_consent'
down_revision = '0009_session_revocation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('counter_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('clerk_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=300), nullable=True),
    sa.Column('sent_to', sa.String(length=120), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_counter_consent_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clerk_id'], ['user_account.id'], name=op.f('fk_counter_consent_clerk_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_consent')),
    sa.UniqueConstraint('application_id', name=op.f('uq_counter_consent_application_id'))
    )


def downgrade():
    op.drop_table('counter_consent')
