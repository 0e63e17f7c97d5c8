"""outbox claims: several senders share the outbox; an index for the reminder scan

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("lesson_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lesson_deliveries_unopened",
            ["sent_at"],
            unique=False,
            sqlite_where=sa.text("opened_at IS NULL AND reminded_at IS NULL"),
            postgresql_where=sa.text("opened_at IS NULL AND reminded_at IS NULL"),
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("lesson_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_lesson_deliveries_unopened")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
