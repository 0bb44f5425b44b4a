"""The province's dashboards revision, and feedback by the moment it was sent

province.dashboards_revision is bumped by every aggregation of the dashboards' summaries, so that each
process knows when the sums it keeps for dashboard pages (onestop/dashboards/memo.py) are out of date.
ix_feedback_sent lets each aggregation find the files complained about that day without reading all
feedback.

Revision ID: 0027_dashboards_revision
Revises: 0026_procedure_figures
Create Date: 2026-12-03 00:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027_dashboards_revision"
down_revision = "0026_procedure_figures"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy): SQLite would otherwise rebuild province under its agencies' keys.
    op.add_column("province", sa.Column("dashboards_revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_feedback_sent", "feedback", ["sent_at", "application_id"])


def downgrade():
    op.drop_index("ix_feedback_sent", table_name="feedback")
    op.drop_column("province", "dashboards_revision")
