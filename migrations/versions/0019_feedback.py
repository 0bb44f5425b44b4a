"""Feedback, questions and complaints with deadlines, forwards and answers; public Q&A; the pack's feedback_days

Revision ID: 0019_feedback
Revises: 0017_results
Create Date: 2026-12-02 16:40:00.000000

A citizen's feedback belongs to the agency that must answer it now (forwarding moves it), with a due
date in working days counted from the province calendar and `province.feedback_days`. An agency may
publish a question and its answer, in anonymised words, on a procedure's page.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_feedback'
down_revision = '0017_results'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('province', sa.Column('feedback_days', sa.Integer(), nullable=False, server_default='10'))
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_feedback_agency_id_agency')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_feedback_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_feedback_application_id_application')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_feedback_author_id_user_account')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_feedback_procedure_id_procedure')),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_feedback_province_id_province')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('code', name=op.f('uq_feedback_code'))
    )
    op.create_index('ix_feedback_agency_state_due', 'feedback', ['agency_id', 'state', 'due_on', 'id'], unique=False)
    op.create_index(op.f('ix_feedback_application_id'), 'feedback', ['application_id'], unique=False)
    op.create_index(op.f('ix_feedback_author_id'), 'feedback', ['author_id'], unique=False)
    op.create_index(op.f('ix_feedback_procedure_id'), 'feedback', ['procedure_id'], unique=False)
    op.create_index(op.f('ix_feedback_province_id'), 'feedback', ['province_id'], unique=False)
    op.create_table('feedback_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['blob_sha256'], ['blob.sha256'], name=op.f('fk_feedback_attachment_blob_sha256_blob')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_attachment_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_attachment'))
    )
    op.create_index(op.f('ix_feedback_attachment_feedback_id'), 'feedback_attachment', ['feedback_id'], unique=False)
    op.create_table('feedback_forward',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('from_agency_id', sa.Integer(), nullable=False),
    sa.Column('to_agency_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_feedback_forward_actor_id_user_account')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_forward_feedback_id_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_agency_id'], ['agency.id'], name=op.f('fk_feedback_forward_from_agency_id_agency')),
    sa.ForeignKeyConstraint(['to_agency_id'], ['agency.id'], name=op.f('fk_feedback_forward_to_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_forward'))
    )
    op.create_index(op.f('ix_feedback_forward_feedback_id'), 'feedback_forward', ['feedback_id'], unique=False)
    op.create_table('public_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_public_answer_agency_id_agency')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_public_answer_feedback_id_feedback'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_public_answer_procedure_id_procedure')),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_public_answer_province_id_province')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_public_answer_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_answer')),
    sa.UniqueConstraint('feedback_id', name=op.f('uq_public_answer_feedback_id'))
    )
    op.create_index('ix_public_answer_procedure', 'public_answer', ['procedure_id', 'is_published'], unique=False)
    op.create_index(op.f('ix_public_answer_province_id'), 'public_answer', ['province_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_public_answer_province_id'), table_name='public_answer')
    op.drop_index('ix_public_answer_procedure', table_name='public_answer')
    op.drop_table('public_answer')
    op.drop_index(op.f('ix_feedback_forward_feedback_id'), table_name='feedback_forward')
    op.drop_table('feedback_forward')
    op.drop_index(op.f('ix_feedback_attachment_feedback_id'), table_name='feedback_attachment')
    op.drop_table('feedback_attachment')
    op.drop_index(op.f('ix_feedback_province_id'), table_name='feedback')
    op.drop_index(op.f('ix_feedback_procedure_id'), table_name='feedback')
    op.drop_index(op.f('ix_feedback_author_id'), table_name='feedback')
    op.drop_index(op.f('ix_feedback_application_id'), table_name='feedback')
    op.drop_index('ix_feedback_agency_state_due', table_name='feedback')
    op.drop_table('feedback')
    op.drop_column('province', 'feedback_days')
