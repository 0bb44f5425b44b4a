"""Surveys: versions, sections and questions; responses with one answer row per value; tallies; sharing

Revision ID: 0014_surveys
Revises: 0013_notifications
Create Date: 2026-12-02 15:44:36.134539

Answers are rows (choice key, number, text or day) carrying the submission time; each submit also adds
to survey_tally (per question, province day, row and choice) and survey_day, so results of a large
survey sum a few hundred rows instead of counting every answer.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_surveys'
down_revision = '0013_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_cap', sa.Integer(), nullable=True),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_survey_owner_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('code', name=op.f('uq_survey_code'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_owner_id'), ['owner_id'], unique=False)

    op.create_table('survey_share',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_share_survey_id_survey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_share_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'user_id', name=op.f('pk_survey_share'))
    )
    op.create_table('survey_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('intro', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_version_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_version')),
    sa.UniqueConstraint('survey_id', 'number', name=op.f('uq_survey_version_survey_id_number'))
    )
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_version_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_day',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_survey_day_version_id_survey_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'day', name=op.f('pk_survey_day'))
    )
    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device_key', sa.String(length=64), nullable=True),
    sa.Column('submit_token', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_response_survey_id_survey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_response_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_survey_response_version_id_survey_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sa.UniqueConstraint('survey_id', 'device_key', name=op.f('uq_survey_response_survey_id_device_key')),
    sa.UniqueConstraint('survey_id', 'user_id', name=op.f('uq_survey_response_survey_id_user_id'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index('ix_survey_response_submitted', ['version_id', 'submitted_at'], unique=False)

    op.create_table('survey_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_survey_section_version_id_survey_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_section'))
    )
    with op.batch_alter_table('survey_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_section_version_id'), ['version_id'], unique=False)

    op.create_table('survey_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('allow_other', sa.Boolean(), nullable=False),
    sa.Column('scale', sa.JSON(), nullable=False),
    sa.Column('show_if', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['section_id'], ['survey_section.id'], name=op.f('fk_survey_question_section_id_survey_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_survey_question_version_id_survey_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_question')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_survey_question_version_id_key'))
    )
    with op.batch_alter_table('survey_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_question_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_question_version_id'), ['version_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('row_key', sa.String(length=20), nullable=False),
    sa.Column('choice', sa.String(length=20), nullable=True),
    sa.Column('number', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], name=op.f('fk_survey_answer_question_id_survey_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_response.id'], name=op.f('fk_survey_answer_response_id_survey_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_response_id'), ['response_id'], unique=False)
        batch_op.create_index('ix_survey_answer_tally', ['question_id', 'submitted_at', 'row_key', 'choice'], unique=False)

    op.create_table('survey_tally',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('row_key', sa.String(length=20), nullable=False),
    sa.Column('choice', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('respondents', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('low', sa.Float(), nullable=True),
    sa.Column('high', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], name=op.f('fk_survey_tally_question_id_survey_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'day', 'row_key', 'choice', name=op.f('pk_survey_tally'))
    )


def downgrade():
    op.drop_table('survey_tally')
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answer_tally')
        batch_op.drop_index(batch_op.f('ix_survey_answer_response_id'))

    op.drop_table('survey_answer')
    with op.batch_alter_table('survey_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_question_version_id'))
        batch_op.drop_index(batch_op.f('ix_survey_question_section_id'))

    op.drop_table('survey_question')
    with op.batch_alter_table('survey_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_section_version_id'))

    op.drop_table('survey_section')
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_response_submitted')

    op.drop_table('survey_response')
    op.drop_table('survey_day')
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_version_survey_id'))

    op.drop_table('survey_version')
    op.drop_table('survey_share')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_owner_id'))

    op.drop_table('survey')
