"""Session revocation: one row per signed-in browser, and a single-use nonce for password reset links

A Flask session cookie is signed, not stored: before this, a cookie copied before sign-out or a password
reset kept working until it expired. Each sign-in now records a row in user_session whose key the cookie
carries; signing out deletes that row, a password change or reset deletes all of the user's rows. A reset
link carries the account's current nonce, which each new request replaces and using the link clears.

Revision ID: 0009_session_revocation
Revises: 0008_application_steps
Create Date: 2026-12-02 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_session_revocation'
down_revision = '0008_application_steps'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_user_session_key_digest'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_reset_nonce', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('password_reset_nonce')

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
