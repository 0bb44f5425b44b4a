"""Notifications: events on every channel, the portal inbox, templates and preferences

Revision ID: 0013_notifications
Revises: 0012_agency_opening_hours
Create Date: 2026-12-02 15:23:01.386095

Services emit events; notifications render them per channel and language. The outbox learns which
event, file and language a message carries, where its delivery stands (provider id, delivered, dead);
the portal gets an inbox, the province its own templates, and each person their channel choices.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_notifications'
down_revision = '0012_agency_opening_hours'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('daily_digest', sa.Boolean(), nullable=False),
    sa.Column('ott_user_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_preferences_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notification_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('unaccented', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_notification_template_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_notification_template_province_id_province'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_template')),
    sa.UniqueConstraint('province_id', 'event', 'channel', 'language', name='uq_notification_template')
    )
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('awaits_digest', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_notice_application_id_application'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_notice_province_id_province'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notice_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_user_unread', ['user_id', 'read_at', 'id'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=False, server_default='vi'))
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=20), nullable=False, server_default='queued'))
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_application_id_application'), 'application', ['application_id'], ['id'], ondelete='SET NULL')

    # Messages already sent before this revision were accepted by their server.
    outbox = sa.table('outbox_message', sa.column('state', sa.String), sa.column('sent_at', sa.DateTime))
    op.execute(outbox.update().where(outbox.c.sent_at.is_not(None)).values(state='sent'))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_application_id_application'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_message_provider_message_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_application_id'))
        batch_op.drop_column('dead_at')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('provider_message_id')
        batch_op.drop_column('state')
        batch_op.drop_column('application_id')
        batch_op.drop_column('language')
        batch_op.drop_column('event')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_user_unread')

    op.drop_table('notice')
    op.drop_table('notification_template')
    op.drop_table('notification_preferences')
