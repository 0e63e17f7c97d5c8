"""The outbox: messages the bot sends on its own are written here, in the same transaction
as the change that causes them, and delivered later by the sender
(`bot.scheduling.outbox_sender`). So a crash never loses a message nor sends one for a change
that was rolled back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    text: str,
    now: datetime,
    person_id: int | None = None,
    reply_markup: dict[str, Any] | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        chat_id=chat_id,
        person_id=person_id,
        kind=kind,
        text=text,
        reply_markup=reply_markup,
        created_at=now,
        send_after=send_after or now,
    )
    session.add(message)
    return message
