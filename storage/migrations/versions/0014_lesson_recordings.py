"""lesson recordings: lessons read aloud by people, approved by a second one

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lesson_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["approved_by_id"], ["people.id"],
                                name=op.f("fk_lesson_recordings_approved_by_id_people"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["people.id"],
                                name=op.f("fk_lesson_recordings_recorded_by_id_people"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_recordings")),
    )
    with op.batch_alter_table("lesson_recordings", schema=None) as batch_op:
        batch_op.create_index("ix_lesson_recordings_lesson_locale", ["lesson_id", "locale"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lesson_recordings", schema=None) as batch_op:
        batch_op.drop_index("ix_lesson_recordings_lesson_locale")
    op.drop_table("lesson_recordings")
