"""pulse ballots: answers wait apart from who answered until the round closes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 17:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulse_ballots",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["pulse_rounds.id"],
                                name=op.f("fk_pulse_ballots_round_id_pulse_rounds"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pulse_ballots")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("pulse_ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pulse_ballots_round_id"), ["round_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pulse_ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_ballots_round_id"))
    op.drop_table("pulse_ballots")
