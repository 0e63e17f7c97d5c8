"""The outbox: messages the bot sends on its own are written here, in the same transaction
as the change that causes them, and delivered later by the sender
(`bot.scheduling.outbox_sender`). So a crash never loses a message nor sends one for a change
that was rolled back."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any, NamedTuple, TypedDict, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from typing_extensions import Unpack

from bot.limits import CAPTION_MAX, plain_text, telegram_length
from storage.bulk import execute_many
from storage.models import OutboxMessage, OutboxStatus

# A consultant's alert about a stall. Once delivered it keeps its buttons (their data names the
# stall, their labels are fixed words), so an answer given in one chat can take them off every
# other copy (bot/stall_answers.py); every other delivered message keeps nothing to read.
ALERT_KIND = "escalation"

# The kind of the outbox row being sent (set by the sender around each call), so a channel
# can shape the message by it: WhatsApp picks its template for a closed window by kind.
sending_kind: ContextVar[str | None] = ContextVar("outbox_sending_kind", default=None)


def delivered_values(kind: str) -> dict[str, object]:
    """What a row keeps of its message once Telegram has it: no text, no file, and no
    buttons but an alert's. So no delivered message in the database names anybody (README
    "Security and privacy")."""
    cleared: dict[str, object] = {"text": "", "media_file_id": None}
    if kind != ALERT_KIND:
        cleared["reply_markup"] = None
    return cleared


class Extras(TypedDict, total=False):
    """A message's optional parts."""

    person_id: int | None
    reply_markup: dict[str, Any] | None
    send_after: datetime | None
    media: tuple[str, str] | None


# Every other column of a queued row: what the ORM's defaults would give it.
_FRESH: dict[str, Any] = {"status": OutboxStatus.PENDING, "sent_at": None, "attempts": 0,
                          "last_error": "", "telegram_message_id": None, "claimed_until": None}


def rows(*, chat_id: int, kind: str, text: str, now: datetime,
         **extras: Unpack[Extras]) -> list[dict[str, Any]]:
    """The outbox rows of one message, as column values. With `media` ("photo" or "voice",
    file id) the text is its caption; text too long for a caption goes in a row of its own
    after the media."""
    media = extras.get("media")
    send_after = extras.get("send_after")
    if media is not None and telegram_length(plain_text(text)) > CAPTION_MAX:
        return rows(chat_id=chat_id, kind=kind, text="", now=now,
                    person_id=extras.get("person_id"), send_after=send_after,
                    media=media) + rows(chat_id=chat_id, kind=kind, text=text, now=now,
                                        person_id=extras.get("person_id"),
                                        reply_markup=extras.get("reply_markup"),
                                        send_after=send_after)
    return [{
        "chat_id": chat_id,
        "person_id": extras.get("person_id"),
        "kind": kind,
        "text": text,
        "reply_markup": extras.get("reply_markup"),
        "created_at": now,
        "send_after": send_after or now,
        "media_kind": media[0] if media else None,
        "media_file_id": media[1] if media else None,
        **_FRESH,
    }]


def enqueue(session: AsyncSession, *, chat_id: int, kind: str, text: str, now: datetime,
            **extras: Unpack[Extras]) -> OutboxMessage:
    """Queue a message (see `rows`: a long caption makes two); returns its text's row."""
    messages = [OutboxMessage(**values) for values in rows(
        chat_id=chat_id, kind=kind, text=text, now=now, **extras)]
    session.add_all(messages)
    return messages[-1]


class Message(NamedTuple):
    """What one message of a wave holds of its own (a row of `rows` less its chat, person
    and moments): many people get the same one."""

    kind: str
    text: str
    reply_markup: dict[str, Any] | None
    media_kind: str | None
    media_file_id: str | None


# A wave's message to one chat: chat id, person id, the message.
Queued = tuple[int, int | None, Message]
_OWN = ("chat_id", "person_id", *Message._fields)


async def insert_wave(session: AsyncSession, now: datetime, queued: Sequence[Queued]) -> int:
    """Queue a wave's messages (sent from `now`, as `rows` makes them) in the caller's
    transaction, after whatever it has added to the session (so ids keep the order of
    queueing): the same rows as `enqueue` would write, with one INSERT run by the driver
    (`storage.bulk`: the moments and status processed once, each keyboard's JSON once)."""
    return await execute_many(
        session, insert(cast(Table, OutboxMessage.__table__)), _OWN,
        [(chat_id, person_id, *message) for chat_id, person_id, message in queued],
        common={**_FRESH, "created_at": now, "send_after": now})


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """Messages still waiting for a chat that moved (a group that became a supergroup) go to
    its new id."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old_chat_id,
               OutboxMessage.status == OutboxStatus.PENDING)
        .values(chat_id=new_chat_id))
