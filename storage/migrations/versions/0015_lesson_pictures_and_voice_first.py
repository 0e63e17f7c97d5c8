"""lesson pictures (per enterprise, approved by a second person), quiz recordings and the
"voice first" setting

Pictures get their own table rather than a media kind on lesson_recordings: a recording is
one language's voice for every enterprise, a picture has no language and is shown only in the
enterprises of the consultant who attached it (lesson_picture_enterprises).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 19:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lesson_pictures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("attached_by_id", sa.Integer(), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["approved_by_id"], ["people.id"],
                                name=op.f("fk_lesson_pictures_approved_by_id_people"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["attached_by_id"], ["people.id"],
                                name=op.f("fk_lesson_pictures_attached_by_id_people"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_pictures")),
    )
    with op.batch_alter_table("lesson_pictures", schema=None) as batch_op:
        batch_op.create_index("ix_lesson_pictures_lesson", ["lesson_id"], unique=False)
    op.create_table(
        "lesson_picture_enterprises",
        sa.Column("picture_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"],
            name=op.f("fk_lesson_picture_enterprises_enterprise_id_enterprises"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["picture_id"], ["lesson_pictures.id"],
            name=op.f("fk_lesson_picture_enterprises_picture_id_lesson_pictures"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("picture_id", "enterprise_id",
                                name=op.f("pk_lesson_picture_enterprises")),
    )
    with op.batch_alter_table("lesson_picture_enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesson_picture_enterprises_enterprise_id"),
                              ["enterprise_id"], unique=False)
    with op.batch_alter_table("lesson_recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.String(length=16), nullable=False,
                                      server_default="lesson"))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice_first", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("voice_first")
    with op.batch_alter_table("lesson_recordings", schema=None) as batch_op:
        batch_op.drop_column("part")
    with op.batch_alter_table("lesson_picture_enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_picture_enterprises_enterprise_id"))
    op.drop_table("lesson_picture_enterprises")
    with op.batch_alter_table("lesson_pictures", schema=None) as batch_op:
        batch_op.drop_index("ix_lesson_pictures_lesson")
    op.drop_table("lesson_pictures")
