"""A rating for every service: rating surveys from the pack, one invitation and one rating per application

service_rating is compact (agency, procedure, officers, measures, province day) for SQL sums per agency and
day; survey_contact_code holds the one-time codes of the verified phone-or-e-mail question.

Revision ID: 0020_ratings
Revises: 0019_feedback
Create Date: 2026-12-02 16:13:40.430748

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_ratings"
down_revision = "0019_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rating_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=60), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_id"], ["province.id"], name=op.f("fk_rating_survey_province_id_province"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_rating_survey_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_survey")),
        sa.UniqueConstraint("province_id", "procedure_code", name=op.f("uq_rating_survey_province_id_procedure_code")),
    )
    op.create_table(
        "rating_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("counter_token", sa.String(length=64), nullable=True),
        sa.Column("counter_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_rating_invitation_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_rating_invitation_response_id_survey_response"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_rating_invitation_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_invitation")),
        sa.UniqueConstraint("application_id", name=op.f("uq_rating_invitation_application_id")),
        sa.UniqueConstraint("counter_token", name=op.f("uq_rating_invitation_counter_token")),
        sa.UniqueConstraint("token", name=op.f("uq_rating_invitation_token")),
    )
    op.create_table(
        "service_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("overall", sa.SmallInteger(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("guidance", sa.SmallInteger(), nullable=True),
        sa.Column("conduct", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_service_rating_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_service_rating_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedure.id"], name=op.f("fk_service_rating_procedure_id_procedure")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_service_rating_response_id_survey_response"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_rating")),
        sa.UniqueConstraint("application_id", name=op.f("uq_service_rating_application_id")),
    )
    with op.batch_alter_table("service_rating", schema=None) as batch_op:
        batch_op.create_index("ix_service_rating_agency_day", ["agency_id", "rated_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_rating_procedure_id"), ["procedure_id"], unique=False)

    op.create_table(
        "service_rating_officer",
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["service_rating.id"],
            name=op.f("fk_service_rating_officer_rating_id_service_rating"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_service_rating_officer_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rating_id", "user_id", name=op.f("pk_service_rating_officer")),
    )
    with op.batch_alter_table("service_rating_officer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_rating_officer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "survey_contact_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("code_hash", sa.String(length=300), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_question.id"],
            name=op.f("fk_survey_contact_code_question_id_survey_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_survey_contact_code_response_id_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_contact_code")),
    )
    with op.batch_alter_table("survey_contact_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_contact_code_contact"), ["contact"], unique=False)
        batch_op.create_index("ix_survey_contact_code_sent", ["response_id", "question_id", "sent_at"], unique=False)

    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("for_ratings", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_column("for_ratings")

    with op.batch_alter_table("survey_contact_code", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_contact_code_sent")
        batch_op.drop_index(batch_op.f("ix_survey_contact_code_contact"))

    op.drop_table("survey_contact_code")
    with op.batch_alter_table("service_rating_officer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_rating_officer_user_id"))

    op.drop_table("service_rating_officer")
    with op.batch_alter_table("service_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_rating_procedure_id"))
        batch_op.drop_index("ix_service_rating_agency_day")

    op.drop_table("service_rating")
    op.drop_table("rating_invitation")
    op.drop_table("rating_survey")
