"""Help search: what people asked, whether it helped, and the pack's help data

Revision ID: 0015_help
Revises: 0014_surveys
Create Date: 2026-12-02 15:50:00.000000

The province keeps its pack's help.yaml (abbreviations, the "which procedure do I need?" guide) as
JSON; every help search and every "did this answer your question?" vote is a row the province admin
reads as a report.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_help'
down_revision = '0014_surveys'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('province', sa.Column('help', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table('help_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('folded', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_help_query_province_id_province'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_query'))
    )
    op.create_index('ix_help_query_province_folded', 'help_query', ['province_id', 'folded'], unique=False)
    op.create_table('help_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('folded', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_help_vote_province_id_province'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_vote'))
    )
    op.create_index('ix_help_vote_province_folded', 'help_vote', ['province_id', 'folded'], unique=False)


def downgrade():
    op.drop_index('ix_help_vote_province_folded', table_name='help_vote')
    op.drop_table('help_vote')
    op.drop_index('ix_help_query_province_folded', table_name='help_query')
    op.drop_table('help_query')
    op.drop_column('province', 'help')
