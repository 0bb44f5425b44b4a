"""Agencies' opening hours in the pack's languages: a {vi, en} mapping instead of Vietnamese text

A pack may still write opening hours as plain Vietnamese; it is stored as {"vi": ...}. Existing rows
are converted the same way, and an empty text becomes {} (the province's working hours are shown).

Revision ID: 0008_opening_hours_languages
Revises: 0007_application_steps
Create Date: 2026-12-02 13:45:00.000000

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_opening_hours_languages'
down_revision = '0007_application_steps'
branch_labels = None
depends_on = None

agency = sa.table('agency', sa.column('id', sa.Integer), sa.column('opening_hours', sa.Text), sa.column('hours', sa.Text))


def _convert(source: str, target: str, to_languages: bool) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(agency.c.id, agency.c[source])).all()
    for row_id, value in rows:
        if to_languages:
            converted = json.dumps({'vi': value}, ensure_ascii=False) if value else '{}'
        else:
            converted = (json.loads(value) if isinstance(value, str) else value or {}).get('vi', '')
        connection.execute(sa.update(agency).where(agency.c.id == row_id).values({target: converted}))


def upgrade():
    # A new column filled from the old one: the same steps on SQLite (no ALTER TYPE) and PostgreSQL.
    with op.batch_alter_table('agency') as batch:
        batch.add_column(sa.Column('hours', sa.Text(), nullable=True))
    _convert('opening_hours', 'hours', to_languages=True)
    with op.batch_alter_table('agency') as batch:
        batch.drop_column('opening_hours')
        batch.add_column(sa.Column('opening_hours', sa.JSON(), nullable=True))
    op.execute("UPDATE agency SET opening_hours = CAST(hours AS JSON)" if op.get_bind().dialect.name == 'postgresql'
               else "UPDATE agency SET opening_hours = hours")
    with op.batch_alter_table('agency') as batch:
        batch.alter_column('opening_hours', existing_type=sa.JSON(), nullable=False)
        batch.drop_column('hours')


def downgrade():
    with op.batch_alter_table('agency') as batch:
        batch.add_column(sa.Column('hours', sa.Text(), nullable=True))
    op.execute("UPDATE agency SET hours = CAST(opening_hours AS TEXT)")
    _convert('hours', 'hours', to_languages=False)
    with op.batch_alter_table('agency') as batch:
        batch.drop_column('opening_hours')
        batch.add_column(sa.Column('opening_hours', sa.String(200), nullable=True))
    op.execute("UPDATE agency SET opening_hours = hours")
    with op.batch_alter_table('agency') as batch:
        batch.alter_column('opening_hours', existing_type=sa.String(200), nullable=False)
        batch.drop_column('hours')
