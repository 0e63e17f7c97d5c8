"""The outbox reads the WhatsApp contacts and languages of a whole claimed batch in one query
(`ChannelSession.ahead`); what changes between that read and a message's own send is still
taken into account: a window that closes mid-batch, a person who writes mid-batch, a person
who can no longer be reached mid-batch. The fake Cloud API refuses a free-form message
outside the window, so a stale "open" would show as a refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.channels.whatsapp import contacts
from bot.clock import FakeClock
from bot.services.outbox import enqueue
from storage.models import OutboxMessage, OutboxStatus, WhatsAppContact
from tests.fakes.harness import BotUnderTest
from tests.test_whatsapp_pacing import MONDAY, drain, queue, whatsapp_people


def after_read_ahead(monkeypatch: pytest.MonkeyPatch, then: Callable[[], object]) -> None:
    """Run `then` once, right after the batch's contacts were read (before any send)."""
    read = contacts.read_ahead
    done: list[bool] = []

    async def read_then(factory, chat_ids):  # type: ignore[no-untyped-def]
        found = await read(factory, chat_ids)
        if not done:
            done.append(True)
            result = then()
            if hasattr(result, "__await__"):
                await result  # type: ignore[misc]
        return found

    monkeypatch.setattr(contacts, "read_ahead", read_then)


async def test_a_window_that_closes_mid_batch_gets_the_template(database_url, monkeypatch):
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        [(chat, user)] = await whatsapp_people(
            tg, 1, wrote_at=MONDAY - timedelta(hours=23, minutes=59, seconds=50))
        await queue(tg, [chat], "lesson", "Lesson 3: Safety walks")
        # Open when the batch was read; closed 30 s later, when the message goes.
        after_read_ahead(monkeypatch, lambda: tg.clock.advance(timedelta(seconds=30)))
        await drain(tg)
        assert not tg.wa.refused()
        [message] = tg.wa.messages_to(user)
        assert message.type == "template"


async def test_a_person_who_writes_mid_batch_gets_the_message_itself(database_url,
                                                                     monkeypatch):
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        [(chat, user)] = await whatsapp_people(tg, 1, wrote_at=MONDAY - timedelta(days=2))
        await queue(tg, [chat], "lesson", "Lesson 3: Safety walks")

        async def writes() -> None:  # what the webhook records when they write
            assert tg.wa is not None
            tg.wa.last_inbound[user.wa_id] = tg.clock.now()
            async with tg.app.session_factory() as session, session.begin():
                await session.execute(update(WhatsAppContact).where(
                    WhatsAppContact.wa_id == user.wa_id).values(last_inbound_at=tg.clock.now()))

        after_read_ahead(monkeypatch, writes)
        await drain(tg)
        assert not tg.wa.refused()
        [message] = tg.wa.messages_to(user)
        assert message.type == "text"
        assert "Safety walks" in message.text


async def test_a_person_unreachable_mid_batch_is_dropped_like_a_block(database_url,
                                                                      monkeypatch):
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        [(chat, user), (other, other_user)] = await whatsapp_people(
            tg, 2, wrote_at=MONDAY - timedelta(hours=1))
        await queue(tg, [chat, other, chat], "lesson", "Lesson 3: Safety walks")
        after_read_ahead(monkeypatch, lambda: tg.wa.not_on_whatsapp.add(user.wa_id))  # type: ignore[union-attr]
        await drain(tg)
        assert not tg.wa.messages_to(user)
        assert len(tg.wa.messages_to(other_user)) == 1
        async with tg.app.session_factory() as session:
            statuses = list(await session.scalars(select(OutboxMessage.status).where(
                OutboxMessage.chat_id == chat)))
        assert statuses == [OutboxStatus.DROPPED, OutboxStatus.DROPPED]


async def test_a_numbered_menu_sent_earlier_in_the_batch_is_cleared_by_the_next_message(
        database_url):
    """A numbered menu, then a plain message to the same person in one batch: the plain
    message clears the menu's choices (the batch's copy of the contact follows the menu)."""
    markup = {"inline_keyboard": [[{"text": f"Choice {n}", "callback_data": f"c:{n}"}]
                                  for n in range(12)]}
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        [(chat, _user)] = await whatsapp_people(tg, 1, wrote_at=MONDAY - timedelta(hours=1))
        async with tg.app.session_factory() as session, session.begin():
            enqueue(session, chat_id=chat, kind="lesson", text="Pick one", now=tg.clock.now(),
                    reply_markup=markup)
            enqueue(session, chat_id=chat, kind="lesson", text="Done", now=tg.clock.now())
        await drain(tg)
        assert not tg.wa.refused()
        async with tg.app.session_factory() as session:
            contact = await session.scalar(select(WhatsAppContact))
            assert contact is not None
            assert contact.choices is None
