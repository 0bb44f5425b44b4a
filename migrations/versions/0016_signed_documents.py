"""Signed documents: results, refusal letters, sealed slips and declarations, each with its verification code

One row per signed PDF (the PDF is a blob): who signed it, when, the short code a third party checks it
by, and whether it was revoked or replaced. Rows exist from the request on, so progress can be shown.

Revision ID: 0016_signed_documents
Revises: 0015_help
Create Date: 2026-12-02 16:08:02.937873

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_signed_documents'
down_revision = '0015_help'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signed_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('verification_code', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('failure', sa.Text(), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_signed_document_agency_id_agency')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_signed_document_application_id_application'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['blob_sha256'], ['blob.sha256'], name=op.f('fk_signed_document_blob_sha256_blob')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_signed_document_document_id_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['signed_document.id'], name=op.f('fk_signed_document_replaced_by_id_signed_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_signed_document_revoked_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signer_id'], ['user_account.id'], name=op.f('fk_signed_document_signer_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_document')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_signed_document_verification_code'))
    )
    with op.batch_alter_table('signed_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_document_application_id'), ['application_id'], unique=False)



def downgrade():
    with op.batch_alter_table('signed_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_document_application_id'))

    op.drop_table('signed_document')
