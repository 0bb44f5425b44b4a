"""The service index's per-file facts for the national portal's rules: digitised, shared for reuse, service ok

dashboard_fact gains three flags (digitised, shared_for_reuse, service_ok) and dashboard_day and
dashboard_month their counts. Existing rows get false and 0: `flask --app wsgi dashboards rebuild` fills
them from the applications, ratings and feedback (docs/operations.md, Dashboards).

Revision ID: 0025_index_rules
Revises: 0024_survey_months
Create Date: 2026-12-02 23:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0025_index_rules"
down_revision = "0024_survey_months"
branch_labels = None
depends_on = None

FLAGS = ("digitised", "shared_for_reuse", "service_ok")
SUMMED_TABLES = ("dashboard_day", "dashboard_month")


def upgrade():
    with op.batch_alter_table("dashboard_fact") as batch:
        for name in FLAGS:
            batch.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))
    for table in SUMMED_TABLES:
        with op.batch_alter_table(table) as batch:
            for name in FLAGS:
                batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))


def downgrade():
    for table in (*SUMMED_TABLES, "dashboard_fact"):
        with op.batch_alter_table(table) as batch:
            for name in reversed(FLAGS):
                batch.drop_column(name)
