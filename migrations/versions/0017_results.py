"""Result drafts: the unsigned result or refusal letter a leader is shown and signs

Revision ID: 0017_results
Revises: 0016_signed_documents
Create Date: 2026-12-02 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_results'
down_revision = '0016_signed_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('result_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('verification_code', sa.String(length=20), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('uploaded', sa.Boolean(), nullable=False),
    sa.Column('signed_document_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_result_draft_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pdf_sha256'], ['blob.sha256'], name=op.f('fk_result_draft_pdf_sha256_blob')),
    sa.ForeignKeyConstraint(['signed_document_id'], ['signed_document.id'], name=op.f('fk_result_draft_signed_document_id_signed_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_result_draft_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_draft')),
    sa.UniqueConstraint('application_id', name=op.f('uq_result_draft_application_id')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_result_draft_verification_code'))
    )


def downgrade():
    op.drop_table('result_draft')
