"""whatsapp_contacts.conversation_opened_at: when the bot last opened a conversation

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 23:00:00

The daily tier of business-initiated WhatsApp conversations counts the people the bot sent a
template to in the last 24 hours. Without Redis that count lived only in the sending
process, so a restart forgot it; the moment each template went is now kept on the contact,
and a new process counts the last 24 hours from it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_opened_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index("ix_whatsapp_contacts_conversation_opened_at",
                              ["conversation_opened_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_whatsapp_contacts_conversation_opened_at")
        batch_op.drop_column("conversation_opened_at")
