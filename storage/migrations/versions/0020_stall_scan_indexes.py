"""stall scan indexes: the scan reads only what may be stalled

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 23:00:00

The stall scan (bot.services.escalation) read every new suggestion through each enterprise
and every open check-in round of three weeks. These indexes let it read only suggestions
unanswered for a day or more, open actions late or without news for a day or more, and the
check-in rounds whose managers were nudged and that are still not done.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUDGED_OPEN = "nudged_at IS NOT NULL AND completed_at IS NULL"


def upgrade() -> None:
    op.create_index("ix_suggestions_unanswered", "suggestions",
                    ["status", "first_response_at", "created_at"], unique=False)
    op.create_index("ix_action_items_status_updated_at", "action_items",
                    ["status", "updated_at"], unique=False)
    op.create_index("ix_checkin_rounds_nudged_open", "checkin_rounds", ["week"], unique=False,
                    sqlite_where=sa.text(NUDGED_OPEN), postgresql_where=sa.text(NUDGED_OPEN))


def downgrade() -> None:
    op.drop_index("ix_checkin_rounds_nudged_open", table_name="checkin_rounds")
    op.drop_index("ix_action_items_status_updated_at", table_name="action_items")
    op.drop_index("ix_suggestions_unanswered", table_name="suggestions")
