"""Survey results per month, the free-text list's index, and the province's citizen-survey setting

survey_tally_month keeps the counts of survey_tally per province month, so that a results page over whole
months sums about twelve rows per counted cell; it is filled here from the day rows. A partial index on
survey_answer (question, submitted_at, id) where a text was written lets the free-text list read the newest
texts of each question and stop. province.citizen_surveys is the pack's setting that opens the survey
builder to every signed-in person.

Revision ID: 0024_survey_months
Revises: 0023_publicity
Create Date: 2026-12-02 19:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024_survey_months"
down_revision = "0023_publicity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_tally_month",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("row_key", sa.String(length=20), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_question.id"],
            name=op.f("fk_survey_tally_month_question_id_survey_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "month", "row_key", "choice", name=op.f("pk_survey_tally_month")),
    )
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', CAST(day AS timestamp)) AS date)"
    else:
        month = "date(day, 'start of month')"
    op.execute(
        "INSERT INTO survey_tally_month (question_id, month, row_key, choice, count, respondents, total, low, high)"
        f" SELECT question_id, {month}, row_key, choice, sum(count), sum(respondents), sum(total), min(low), max(high)"
        f" FROM survey_tally GROUP BY question_id, {month}, row_key, choice"
    )
    op.create_index(
        "ix_survey_answer_texts",
        "survey_answer",
        ["question_id", "submitted_at", "id"],
        unique=False,
        postgresql_where=sa.text("text IS NOT NULL"),
        sqlite_where=sa.text("text IS NOT NULL"),
    )
    op.add_column("province", sa.Column("citizen_surveys", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column("province", "citizen_surveys")
    op.drop_index(
        "ix_survey_answer_texts",
        table_name="survey_answer",
        postgresql_where=sa.text("text IS NOT NULL"),
        sqlite_where=sa.text("text IS NOT NULL"),
    )
    op.drop_table("survey_tally_month")
