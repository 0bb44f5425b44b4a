"""Publicity: the pack's publication window; month rows beside the dashboards' day rows

The dashboards measure "procedures published on time" from each procedure version's announcing decision
(kept in its definition) and the moment that version went live (procedure_version.created_at); the window
is the province's setting.

`dashboard_month` and `dashboard_month_duration` hold the day rows summed per agency and calendar month
(rewritten whenever a day of the month is aggregated), so that a long period reads a dozen rows per agency.
They are filled here from the day rows already there.

Revision ID: 0023_publicity
Revises: 0022_citizen_signing
Create Date: 2026-12-02 18:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_publicity"
down_revision = "0022_citizen_signing"
branch_labels = None
depends_on = None


SUMMED = (
    "received",
    "received_online",
    "full_received",
    "full_online",
    "reused",
    "decided",
    "on_time",
    "late",
    "refused",
    "returned",
    "returned_online",
    "had_fee",
    "paid_online",
    "transferred",
    "working_days_sum",
    "working_days_count",
)
VOICE = ("feedback_total", "feedback_on_time", "feedback_satisfied", "ratings_total", "ratings_satisfied")


def _month_of(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def upgrade():
    op.add_column("province", sa.Column("publication_days", sa.Integer(), nullable=False, server_default="5"))
    # Copies of the version's `announcement` (number, date) that the publicity figure filters on.
    op.add_column("procedure_version", sa.Column("announcement_number", sa.String(length=60), nullable=True))
    op.add_column("procedure_version", sa.Column("announced_on", sa.Date(), nullable=True))
    op.create_index("ix_procedure_version_announced_on", "procedure_version", ["announced_on"])
    op.create_table(
        "dashboard_month",
        sa.Column(
            "agency_id",
            sa.Integer(),
            sa.ForeignKey("agency.id", name="fk_dashboard_month_agency_id_agency"),
            primary_key=True,
        ),
        sa.Column("month", sa.Date(), primary_key=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in SUMMED],
        *[sa.Column(name, sa.Integer(), nullable=True) for name in VOICE],
    )
    op.create_table(
        "dashboard_month_duration",
        sa.Column(
            "agency_id",
            sa.Integer(),
            sa.ForeignKey("agency.id", name="fk_dashboard_month_duration_agency_id_agency"),
            primary_key=True,
        ),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("working_days", sa.Integer(), primary_key=True),
        sa.Column("files", sa.Integer(), nullable=False),
    )
    month = _month_of("day")
    columns = ", ".join(SUMMED + VOICE)
    sums = ", ".join([f"coalesce(sum({name}), 0)" for name in SUMMED] + [f"sum({name})" for name in VOICE])
    op.execute(
        f"INSERT INTO dashboard_month (agency_id, month, {columns}) SELECT agency_id, {month}, {sums}"
        f" FROM dashboard_day GROUP BY agency_id, {month}"
    )
    op.execute(
        "INSERT INTO dashboard_month_duration (agency_id, month, working_days, files)"
        f" SELECT agency_id, {month}, working_days, sum(files) FROM dashboard_duration"
        f" GROUP BY agency_id, {month}, working_days"
    )


def downgrade():
    op.drop_table("dashboard_month_duration")
    op.drop_table("dashboard_month")
    op.drop_index("ix_procedure_version_announced_on", table_name="procedure_version")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of these tables would trip the foreign keys pointing at them.
    op.drop_column("procedure_version", "announced_on")
    op.drop_column("procedure_version", "announcement_number")
    op.drop_column("province", "publication_days")
