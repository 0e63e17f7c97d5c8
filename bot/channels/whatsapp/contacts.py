"""The WhatsApp side's own rows: contacts (wa_id <-> chat id, the 24-hour window, a pending
numbered menu, delivery statuses) and messages held while a window was closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, cast, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.whatsapp.ids import WA_CHAT_ID_BASE, chat_id_of, contact_id_of
from bot.limits import WA_WINDOW_HOURS
from storage.models import Person, WhatsAppContact, WhatsAppHeld

WINDOW = timedelta(hours=WA_WINDOW_HOURS)


@dataclass(frozen=True)
class Contact:
    id: int
    wa_id: str
    last_inbound_at: datetime | None
    choices: list[str] | None

    @property
    def chat_id(self) -> int:
        return chat_id_of(self.id)

    def window_open(self, now: datetime) -> bool:
        return self.last_inbound_at is not None and now - self.last_inbound_at < WINDOW


def _contact(row: WhatsAppContact) -> Contact:
    return Contact(row.id, row.wa_id, row.last_inbound_at, row.choices)


async def inbound(factory: async_sessionmaker[AsyncSession], wa_id: str, now: datetime) -> tuple[
    Contact, list[dict[str, Any]]
]:
    """The person wrote: their contact (created on their first message) with the window
    opened now, and the messages held for them, taken off the table (oldest first)."""
    async with factory() as session:
        row = await session.scalar(select(WhatsAppContact).where(WhatsAppContact.wa_id == wa_id))
        if row is None:
            row = WhatsAppContact(wa_id=wa_id, last_status="", created_at=now)
            session.add(row)
            await session.flush()
        before = _contact(row)
        row.last_inbound_at = now
        held = list(await session.scalars(
            select(WhatsAppHeld).where(WhatsAppHeld.contact_id == row.id)
            .order_by(WhatsAppHeld.id)))
        payloads = [body for item in held for body in item.payloads]
        if held:
            await session.execute(delete(WhatsAppHeld).where(
                WhatsAppHeld.id.in_([item.id for item in held])))
        await session.commit()
        return before, payloads


async def by_chat(factory: async_sessionmaker[AsyncSession], chat_id: int) -> Contact | None:
    async with factory() as session:
        row = await session.get(WhatsAppContact, contact_id_of(chat_id))
        return _contact(row) if row else None


@dataclass(frozen=True)
class Known:
    """A contact read ahead for a batch of outbox messages, with the person's language: the
    chosen locale and the language last seen (None, None when no person stands behind it)."""

    contact: Contact
    locale: str | None
    seen: str | None


async def read_ahead(factory: async_sessionmaker[AsyncSession],
                     chat_ids: list[int]) -> dict[int, Known]:
    """The contacts of these WhatsApp chats and their people's languages, by chat id, in one
    query (a chat without a contact is left out)."""
    if not chat_ids:
        return {}
    async with factory() as session:
        rows = await session.execute(
            select(WhatsAppContact.id, WhatsAppContact.wa_id, WhatsAppContact.last_inbound_at,
                   WhatsAppContact.choices, Person.locale, Person.telegram_language)
            .outerjoin(Person, Person.telegram_id == (
                cast(WhatsAppContact.id, BigInteger) + literal(WA_CHAT_ID_BASE, BigInteger)))
            .where(WhatsAppContact.id.in_({contact_id_of(chat) for chat in chat_ids})))
        found: dict[int, Known] = {}
        for contact_id, wa_id, last_inbound_at, choices, locale, seen in rows:
            contact = Contact(contact_id, wa_id, last_inbound_at, choices)
            found[contact.chat_id] = Known(contact, locale, seen)
        return found


async def locale_hint(factory: async_sessionmaker[AsyncSession], chat_id: int) -> tuple[
    str | None, str | None
]:
    """(the person's chosen locale, the language last seen) for a WhatsApp chat."""
    async with factory() as session:
        row = (await session.execute(select(Person.locale, Person.telegram_language)
                                     .where(Person.telegram_id == chat_id))).first()
        return (row[0], row[1]) if row else (None, None)


async def set_choices(factory: async_sessionmaker[AsyncSession],
                      choices: dict[int, list[str] | None]) -> None:
    if not choices:
        return
    async with factory() as session:
        for contact_id, values in choices.items():
            await session.execute(update(WhatsAppContact).where(
                WhatsAppContact.id == contact_id).values(choices=values))
        await session.commit()


async def hold(factory: async_sessionmaker[AsyncSession], contact_id: int,
               payloads: list[dict[str, Any]], now: datetime) -> bool:
    """Keep `payloads` until the window opens again; True when nothing was waiting yet (the
    template is to be sent now; one template announces everything waiting)."""
    async with factory() as session:
        waiting = await session.scalar(select(WhatsAppHeld.id).where(
            WhatsAppHeld.contact_id == contact_id).limit(1))
        session.add(WhatsAppHeld(contact_id=contact_id, payloads=payloads, created_at=now))
        await session.commit()
        return waiting is None


async def opened_conversation(factory: async_sessionmaker[AsyncSession], contact_id: int,
                              now: datetime) -> None:
    """A template went to the person: a business-initiated conversation opened now."""
    async with factory() as session:
        await session.execute(update(WhatsAppContact).where(WhatsAppContact.id == contact_id)
                              .values(conversation_opened_at=now))
        await session.commit()


async def conversations_since(factory: async_sessionmaker[AsyncSession],
                              since: datetime) -> dict[int, float]:
    """The chats the bot opened a conversation with after `since`, and when (epoch seconds):
    what the daily tier has counted, for a process that has just started."""
    async with factory() as session:
        rows = await session.execute(
            select(WhatsAppContact.id, WhatsAppContact.conversation_opened_at)
            .where(WhatsAppContact.conversation_opened_at > since))
        return {chat_id_of(contact_id): opened.timestamp() for contact_id, opened in rows
                if opened is not None}


async def record_status(factory: async_sessionmaker[AsyncSession], wa_id: str, status: str,
                        now: datetime, undeliverable: bool) -> None:
    """Meta's delivery status for a message to `wa_id`. An undeliverable number (131026)
    is treated like a person who blocked the bot on Telegram: nothing more is sent."""
    async with factory() as session:
        row = await session.scalar(select(WhatsAppContact).where(WhatsAppContact.wa_id == wa_id))
        if row is None:
            return
        row.last_status, row.last_status_at = status[:16], now
        if undeliverable:
            await session.execute(update(Person).where(Person.telegram_id == chat_id_of(row.id))
                                  .values(blocked_bot=True))
        await session.commit()


async def drop_if_nobody(factory: async_sessionmaker[AsyncSession], contact_id: int) -> None:
    """After an update: a contact no person stands behind (someone who never joined, or who
    has just been forgotten by /forget) keeps no phone number here."""
    async with factory() as session:
        known = await session.scalar(select(Person.id).where(
            Person.telegram_id == chat_id_of(contact_id)))
        if known is None:
            await session.execute(delete(WhatsAppContact).where(WhatsAppContact.id == contact_id))
            await session.commit()
