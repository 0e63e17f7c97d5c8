"""The real APScheduler runs the jobs: an outbox message written in a transaction is delivered
by the running scheduler, and problems with Telegram are handled as Telegram asks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.offline.telegram import BotApiError
from bot.scheduling.scheduler import build_scheduler
from bot.services.outbox import enqueue
from storage.models import OutboxMessage, OutboxStatus, Person
from tests.fakes.harness import BotUnderTest


async def test_the_running_scheduler_delivers_the_outbox(database_url):
    async with BotUnderTest(database_url) as tg:
        ama = tg.person("Ama")
        async with tg.app.session_factory() as session, session.begin():
            enqueue(session, chat_id=ama.id, kind="test", text="<b>Hello</b> from the outbox",
                    now=tg.clock.now())
        scheduler = build_scheduler(tg.app.jobs, tg.bot, due_work_seconds=0.2,
                                    outbox_seconds=0.1)
        scheduler.start()
        try:
            # Telegram has the message a moment before the sender has recorded it as sent
            # (its commit may wait for the due-work job's write): wait for both.
            for _ in range(200):
                async with tg.app.session_factory() as session:
                    row = await session.scalar(select(OutboxMessage))
                if tg.telegram.messages_to(ama.id) and row is not None and (
                        row.status is OutboxStatus.SENT):
                    break
                await asyncio.sleep(0.05)
        finally:
            scheduler.shutdown(wait=False)
        (message,) = tg.telegram.messages_to(ama.id)
        assert message.text == "Hello from the outbox"
        assert row is not None
        assert row.status is OutboxStatus.SENT and row.telegram_message_id == message.message_id


async def test_retry_after_then_blocked(database_url):
    async with BotUnderTest(database_url) as tg:
        ama, kofi = tg.person("Ama"), tg.person("Kofi")
        async with tg.app.session_factory() as session, session.begin():
            person = Person(telegram_id=ama.id, display_name="Ama")
            session.add(person)
            await session.flush()
            for n in range(3):
                enqueue(session, chat_id=ama.id, person_id=person.id, kind="test",
                        text=f"to Ama {n}", now=tg.clock.now())
            enqueue(session, chat_id=kofi.id, kind="test", text="to Kofi", now=tg.clock.now())

        tg.telegram.fail_next("sendMessage", BotApiError(
            429, "Too Many Requests: retry after 7", {"retry_after": 7}))
        assert await tg.sender.send_pending() == 0
        # Nothing more is tried until the wait is over.
        tg.clock.advance(timedelta(seconds=6))
        assert await tg.sender.send_pending() == 0
        tg.clock.advance(timedelta(seconds=1))
        tg.telegram.blocked.add(ama.id)
        assert await tg.sender.send_pending() == 1

        assert [m.text for m in tg.telegram.messages_to(kofi.id)] == ["to Kofi"]
        assert tg.telegram.messages_to(ama.id) == []
        ama_calls = [c for c in tg.telegram.calls_of("sendMessage")
                     if c.params["chat_id"] == str(ama.id)]
        assert len(ama_calls) == 2  # the 429, then the 403; never the other two
        async with tg.app.session_factory() as session:
            statuses = {(row.text or f"delivered to {row.chat_id}"): row.status
                        for row in await session.scalars(select(OutboxMessage))}
            blocked = await session.scalar(select(Person.blocked_bot))
        assert statuses == {"to Ama 0": OutboxStatus.DROPPED, "to Ama 1": OutboxStatus.DROPPED,
                            "to Ama 2": OutboxStatus.DROPPED,
                            f"delivered to {kofi.id}": OutboxStatus.SENT}  # its text cleared
        assert blocked is True
