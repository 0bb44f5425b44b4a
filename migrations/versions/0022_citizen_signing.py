"""A citizen's signed paper: which slot of which application, the original it replaces, the bytes signed

Revision ID: 0022_citizen_signing
Revises: 0021_dashboards
Create Date: 2026-12-02 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_citizen_signing"
down_revision = "0021_dashboards"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signed_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signed_document_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("document_type_code", sa.String(length=60), nullable=False),
        sa.Column("source_document_id", sa.Integer(), nullable=True),
        sa.Column("unsigned_sha256", sa.String(length=64), nullable=False),
        sa.Column("answers_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signed_document_id"], ["signed_document.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_document_id"], ["document.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signed_document_id"),
    )
    with op.batch_alter_table("signed_paper", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signed_paper_application_id"), ["application_id"], unique=False)


def downgrade():
    with op.batch_alter_table("signed_paper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_paper_application_id"))
    op.drop_table("signed_paper")
