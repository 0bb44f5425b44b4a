"""Agency opening hours in the reader's language

An agency's counter hours were one Vietnamese string; they become a text in several languages
({vi, en}), like every other text of a pack. An existing string becomes its Vietnamese text; an
empty one becomes {} (the page then shows the province's working hours).

Revision ID: 0012_agency_opening_hours
Revises: 0011_rate_limit_counter
Create Date: 2026-12-02 13:55:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_agency_opening_hours'
down_revision = '0011_rate_limit_counter'
branch_labels = None
depends_on = None

agency = sa.table('agency', sa.column('id', sa.Integer), sa.column('opening_hours', sa.Text))
texts = sa.table('agency', sa.column('id', sa.Integer), sa.column('opening_hours_text', sa.JSON))
# Column by column (SQLite adds, drops and renames a column in place): no rebuild of a table that
# procedures, staff and applications point at.


def upgrade():
    connection = op.get_bind()
    op.add_column('agency', sa.Column('opening_hours_text', sa.JSON(), nullable=False, server_default='{}'))
    for ident, hours in connection.execute(sa.select(agency.c.id, agency.c.opening_hours)).all():
        connection.execute(
            texts.update().where(texts.c.id == ident).values(opening_hours_text={'vi': hours} if hours else {})
        )
    op.drop_column('agency', 'opening_hours')
    op.execute('ALTER TABLE agency RENAME COLUMN opening_hours_text TO opening_hours')


def downgrade():
    connection = op.get_bind()
    op.execute('ALTER TABLE agency RENAME COLUMN opening_hours TO opening_hours_text')
    op.add_column('agency', sa.Column('opening_hours', sa.String(length=200), nullable=False, server_default=''))
    for ident, hours in connection.execute(sa.select(texts.c.id, texts.c.opening_hours_text)).all():
        value = hours if isinstance(hours, dict) else json.loads(hours or '{}')
        connection.execute(agency.update().where(agency.c.id == ident).values(opening_hours=value.get('vi', '')))
    op.drop_column('agency', 'opening_hours_text')
