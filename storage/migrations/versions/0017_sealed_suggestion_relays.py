"""sealed suggestion relays: who sent a suggestion is kept as an HMAC, not a person id

The bot passes the relay key (Settings.relay_secret) as `relay_key` in the Alembic config's
attributes; rows already in the table are sealed with it. Without a key, a table that holds
rows stops the upgrade with a message rather than lose the way back to their senders.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 19:40:00

"""

import hashlib
import hmac
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _seal(key: bytes, suggestion_id: int, person_id: int) -> str:
    # Frozen copy of bot.services.anonymity.seal (migrations never import the app).
    message = f"suggestion {suggestion_id} sent by person {person_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _key() -> bytes | None:
    key = context.config.attributes.get("relay_key")
    return key if isinstance(key, bytes) else None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT suggestion_id, person_id FROM suggestion_relays")).all()
    key = _key()
    if rows and key is None:
        raise RuntimeError("suggestion relays need the relay key to be sealed: run the upgrade "
                           "through `scorebot db upgrade` or the bot, with its settings")
    with op.batch_alter_table("suggestion_relays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
    for suggestion_id, person_id in rows:
        assert key is not None
        bind.execute(sa.text("UPDATE suggestion_relays SET seal = :seal "
                             "WHERE suggestion_id = :id"),
                     {"seal": _seal(key, suggestion_id, person_id), "id": suggestion_id})
    with op.batch_alter_table("suggestion_relays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_relays_person_id"))
        batch_op.drop_constraint(batch_op.f("fk_suggestion_relays_person_id_people"),
                                 type_="foreignkey")
        batch_op.drop_column("person_id")
        batch_op.alter_column("seal", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    key = _key()
    relays = bind.execute(sa.text(
        "SELECT r.suggestion_id, r.seal, s.enterprise_id FROM suggestion_relays r "
        "JOIN suggestions s ON s.id = r.suggestion_id")).all()
    if relays and key is None:
        raise RuntimeError("unsealing suggestion relays needs the relay key")
    with op.batch_alter_table("suggestion_relays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
    for suggestion_id, stored, enterprise_id in relays:
        assert key is not None
        members = bind.execute(sa.text(
            "SELECT DISTINCT person_id FROM memberships WHERE enterprise_id = :e"),
            {"e": enterprise_id}).scalars()
        sender = next((p for p in members if hmac.compare_digest(
            _seal(key, suggestion_id, p), stored)), None)
        if sender is None:
            bind.execute(sa.text("DELETE FROM suggestion_relays WHERE suggestion_id = :id"),
                         {"id": suggestion_id})
        else:
            bind.execute(sa.text("UPDATE suggestion_relays SET person_id = :p "
                                 "WHERE suggestion_id = :id"), {"p": sender, "id": suggestion_id})
    with op.batch_alter_table("suggestion_relays", schema=None) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_suggestion_relays_person_id_people"),
                                    "people", ["person_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_suggestion_relays_person_id"), ["person_id"],
                              unique=False)
        batch_op.drop_column("seal")
