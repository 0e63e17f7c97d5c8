"""An update Telegram delivers twice has its effects once, in the same process and after a
restart; an update that changed nothing stores nothing; and on SQLite the writers of one
process take turns rather than waiting on each other inside SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from bot.clock import FakeClock
from bot.content.loader import curriculum
from bot.offline.telegram import BotApiError
from storage.db import create_engine, create_session_factory, has_changes
from storage.migrate import upgrade
from storage.models import AuditEvent, LessonDelivery, Person, ProcessedUpdate, Role
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest, TgUser

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUESDAY_10_ACCRA = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


async def _recorded(tg: BotUnderTest, update: dict[str, Any]) -> bool:
    async with tg.app.session_factory() as session:
        return await session.get(ProcessedUpdate, update["update_id"]) is not None


async def _feed(tg: BotUnderTest, update: dict[str, Any], user: TgUser) -> tuple[int, int]:
    """Hand the update to the bot as its webhook does; returns the messages sent to `user`
    and the buttons answered meanwhile."""
    sent, answered = len(tg.telegram.sent), len(tg.callback_answers())
    await tg.app.dispatcher.feed_raw_update(tg.bot, update)
    return (len([m for m in tg.telegram.sent[sent:] if m.chat_id == user.id]),
            len(tg.callback_answers()) - answered)


async def test_a_quiz_answer_delivered_again_is_answered_and_stored_once(database_url):
    first = curriculum().lessons[0]
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        tg.clock.set(TUESDAY_10_ACCRA)
        (teaser,) = await tg.run_scheduled()
        _lesson, quiz = await tg.press(ama, teaser, 0)
        pressed = tg.telegram.callback_update(ama.id, quiz, quiz.button(first.answer)[
            "callback_data"])

        # The answer: the button answered, the quiz edited, the task sent; its id stored.
        assert await _feed(tg, pressed, ama) == (2, 1)
        assert await _recorded(tg, pressed)
        # Delivered again to the same process (a webhook retry): nothing at all.
        assert await _feed(tg, pressed, ama) == (0, 0)
        # ...and to a process that never saw it (a restart): the stored id skips it.
        await tg.restart()
        assert await _feed(tg, pressed, ama) == (0, 0)
        async with tg.app.session_factory() as session:
            answers = await session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "lesson.answer"))
            delivery = await session.scalar(select(LessonDelivery))
        assert answers == 1 and delivery is not None and delivery.correct is True


async def test_an_update_that_changed_nothing_stores_nothing(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        help_ = tg.telegram.message_update(ama.id, "/help")
        assert await _feed(tg, help_, ama) == (1, 0)
        assert not await _recorded(tg, help_)
        # The same process still knows it: a retry is not answered twice.
        assert await _feed(tg, help_, ama) == (0, 0)

        # Starting a suggestion stores no row but moves the conversation on: recorded.
        suggest = tg.telegram.message_update(ama.id, "/suggest")
        assert (await _feed(tg, suggest, ama))[0] >= 1
        assert await _recorded(tg, suggest)


async def test_a_failed_update_is_handled_when_delivered_again(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        # Ama has changed her name on Telegram: the update stores it, so it is a change.
        renamed = tg.telegram.message_update(ama.id, "/help")
        renamed["message"]["from"] = {**renamed["message"]["from"], "first_name": "Ama K."}
        # The first time, Telegram fails the answer: the update fails and stores nothing...
        tg.telegram.fail_next("sendMessage", BotApiError(500, "Internal Server Error"))
        await tg.app.dispatcher.feed_raw_update(tg.bot, renamed)
        assert not await _recorded(tg, renamed)
        # ...so the retry is handled, in full.
        assert (await _feed(tg, renamed, ama))[0] == 1
        assert await _recorded(tg, renamed)
        async with tg.app.session_factory() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == ama.id))
        assert person is not None and person.display_name == "Ama K."


async def test_a_retry_that_comes_while_the_first_delivery_fails_is_handled(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        renamed = tg.telegram.message_update(ama.id, "/help")
        renamed["message"]["from"] = {**renamed["message"]["from"], "first_name": "Ama K."}
        # A slow first delivery, and Telegram's retry of it arriving meanwhile: the retry
        # waits; the first fails (Telegram refuses the answer), so the retry is handled.
        tg.telegram.fail_next("sendMessage", BotApiError(500, "Internal Server Error"))
        sent = len(tg.telegram.sent)
        await asyncio.gather(tg.app.dispatcher.feed_raw_update(tg.bot, renamed),
                             tg.app.dispatcher.feed_raw_update(tg.bot, renamed),
                             return_exceptions=True)
        texts = [m.text for m in tg.telegram.sent[sent:] if m.chat_id == ama.id]
        # The failed one's apology, and the help from the retry.
        assert len(texts) == 2 and sum("nothing was saved" in t for t in texts) == 1
        assert await _recorded(tg, renamed)
        async with tg.app.session_factory() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == ama.id))
        assert person is not None and person.display_name == "Ama K."


async def test_sqlite_writers_in_one_process_take_turns(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    await upgrade(engine)
    sessions = create_session_factory(engine)
    order: list[str] = []
    try:
        async with sessions() as session, session.begin():
            session.add(ProcessedUpdate(update_id=1, handled_at=MONDAY))

        async def writer(name: str, hold: float) -> None:
            async with sessions() as session:
                assert not await has_changes(session)
                await session.scalar(select(ProcessedUpdate.update_id))  # a read: no turn
                assert not await has_changes(session)
                await session.execute(update(ProcessedUpdate).values(
                    handled_at=MONDAY + timedelta(seconds=hold)))
                assert await has_changes(session)
                order.append(f"{name} writes")
                await asyncio.sleep(hold)  # holding the write, as a slow handler would
                await session.commit()
                order.append(f"{name} committed")

        # The second starts while the first holds its write: it waits its turn (no
        # "database is locked", no busy wait), then writes.
        first = asyncio.create_task(writer("first", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.wait_for(writer("second", 0.0), 10)
        await first
        assert order == ["first writes", "first committed", "second writes",
                         "second committed"]
        # A write rolled back gives the turn back too.
        async with sessions() as session:
            await session.execute(update(ProcessedUpdate).values(handled_at=MONDAY))
            await session.rollback()
        await asyncio.wait_for(writer("third", 0.0), 10)
    finally:
        await engine.dispose()
