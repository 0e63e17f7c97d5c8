"""Telegram's limits for the outbox: 30 a second overall, 1 a second to one chat, 20 a minute
to one group. Checked on a virtual clock: the rules, not the speed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.scheduling.rate_limit import virtual_limiter
from bot.services.outbox import enqueue
from storage.models import OutboxMessage, OutboxStatus
from tests.fakes.harness import BotUnderTest


async def granted_times(chats: list[int]) -> list[tuple[int, float]]:
    limiter, virtual = virtual_limiter()
    granted = []
    for chat in chats:
        await limiter.wait(chat)
        granted.append((chat, virtual.now))
    return granted


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_at_most_thirty_a_second_overall():
    granted = await granted_times(list(range(1, 101)))  # 100 people, one message each
    times = [t for _chat, t in granted]
    assert max_in_window(times, 1.0) == 30
    assert times[-1] == pytest.approx(3.0)  # 100 messages take a bit over three seconds


async def test_one_a_second_to_one_chat_and_others_meanwhile():
    granted = await granted_times([7, 7, 8, 7])
    assert granted == [(7, 0.0), (7, 1.0), (8, 1.0), (7, 2.0)]


async def test_twenty_a_minute_to_one_group():
    granted = await granted_times([-100] * 25)
    times = [t for _chat, t in granted]
    assert max_in_window(times, 60.0) == 20
    assert times[20] == pytest.approx(60.0)


async def test_the_sender_spreads_a_wave_within_the_limits(database_url):
    async with BotUnderTest(database_url) as tg:
        people = [tg.person(f"P{n}") for n in range(40)]
        async with tg.app.session_factory() as session, session.begin():
            for person in people:
                for part in (1, 2):
                    enqueue(session, chat_id=person.id, kind="test", text=f"part {part}",
                            now=tg.clock.now())
        while await tg.sender.send_pending():
            pass
        assert len(tg.telegram.calls_of("sendMessage")) == 80
        # 80 messages, two per person: at least two seconds of (virtual) sending.
        assert tg.send_time.now >= 2.0
        async with tg.app.session_factory() as session:
            statuses = set(await session.scalars(select(OutboxMessage.status)))
        assert statuses == {OutboxStatus.SENT}
