"""The hash-chained audit trail

Revision ID: 0004_audit
Revises: 0003_backoffice
Create Date: 2026-11-24 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_audit'
down_revision = '0003_backoffice'
branch_labels = None
depends_on = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# PostgreSQL refuses UPDATE and DELETE on audit records even from SQL typed by hand. Someone with the
# rights to disable the trigger can still edit rows: `flask audit verify` is what catches that.
REFUSE_CHANGES = """
CREATE FUNCTION audit_record_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
"""


def upgrade():
    op.create_table('audit_record',
    sa.Column('sequence', SEQUENCE, autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('sequence', name=op.f('pk_audit_record'))
    )
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_record_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_record_subject', ['subject_type', 'subject_id', 'sequence'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sequence', SEQUENCE, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    if op.get_context().dialect.name == 'postgresql':
        op.execute(REFUSE_CHANGES)


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_record_append_only ON audit_record')
        op.execute('DROP FUNCTION audit_record_refuse_change()')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_record_subject')
        batch_op.drop_index(batch_op.f('ix_audit_record_actor_id'))

    op.drop_table('audit_record')
