"""next-due moments: when the scan next looks at a team, an enterprise or a group link

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 19:30:00

Each kind of scheduled work stores its next due moment (UTC, indexed), so the due-work scan
reads only the rows due now instead of every team and enterprise (bot.services.next_due).

Existing rows get a moment long past (storage.models.LOOK_NOW): the first scan after the
upgrade looks at each of them once, decides with the rules of the running code, and stores
its real next moment. The migration computes no schedule itself, so it never freezes today's
rules into history, and a row the app has not computed yet is simply looked at.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOK_NOW = datetime(2000, 1, 1, tzinfo=UTC)  # storage.models.LOOK_NOW, copied on purpose
COLUMNS = {
    "teams": ("next_lesson_at", "next_summary_at", "next_pulse_at"),
    "enterprises": ("next_checkin_at", "next_selfcheck_at"),
    "group_chat_links": ("next_digest_at",),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True),
                                              nullable=True))
                batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)
        rows = sa.table(table, *(sa.column(c, sa.DateTime(timezone=True)) for c in columns))
        op.execute(rows.update().values({column: LOOK_NOW for column in columns}))


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(f"ix_{table}_{column}")
                batch_op.drop_column(column)
