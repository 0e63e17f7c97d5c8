"""WhatsApp contacts (a Telegram-compatible chat id for each WhatsApp id) and messages held
until a closed 24-hour window reopens

Today's people keep their rows and ids untouched: a WhatsApp person is a person whose
telegram_id lies in the WhatsApp id space (bot/channels/whatsapp/ids.py).

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29 17:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wa_id", sa.String(length=64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=False),
        sa.Column("last_status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_contacts")),
        sa.UniqueConstraint("wa_id", name=op.f("uq_whatsapp_contacts_wa_id")),
    )
    op.create_table(
        "whatsapp_held",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("payloads", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["whatsapp_contacts.id"],
                                name=op.f("fk_whatsapp_held_contact_id_whatsapp_contacts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_held")),
    )
    with op.batch_alter_table("whatsapp_held", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_whatsapp_held_contact_id"), ["contact_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_held", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_held_contact_id"))
    op.drop_table("whatsapp_held")
    op.drop_table("whatsapp_contacts")
