"""Telegram's limits for the outbox: 30 a second overall, 1 a second to one chat, 20 a minute
to one group. Checked on a virtual clock: the rules, not the speed. The same rules hold for
the limits kept in this process and for those shared through Redis by several processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.scheduling.rate_limit import (
    OVERALL_WINDOW,
    Limiter,
    RateLimiter,
    RedisRateLimiter,
    VirtualTime,
)
from bot.services.outbox import enqueue
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import REDIS_URL
from tests.fakes.harness import BotUnderTest

LIMITERS = ["memory", "redis"]


@dataclass
class Limits:
    """Limiters on one virtual clock: one in this process, or two sharing Redis (two
    processes) that take turns asking."""

    limiters: list[Limiter]
    virtual: VirtualTime

    async def granted(self, chats: list[int]) -> list[tuple[int, float]]:
        """Asks for each chat's place in turn; returns when each was granted."""
        times = []
        for n, chat in enumerate(chats):
            await self.limiters[n % len(self.limiters)].wait(chat)
            times.append((chat, self.virtual.now))
        return times


@pytest.fixture(params=LIMITERS)
async def limits(request) -> AsyncIterator[Limits]:  # type: ignore[no-untyped-def]
    virtual = VirtualTime()
    limiters: list[Limiter]
    if request.param == "memory":
        limiters = [RateLimiter(monotonic=virtual.monotonic, sleep=virtual.sleep)]
    else:
        if not REDIS_URL:
            pytest.skip("TEST_REDIS_URL is not set")
        prefix = f"test:limits:{uuid.uuid4().hex}"
        limiters = [RedisRateLimiter(Redis.from_url(REDIS_URL), prefix=prefix,
                                     monotonic=virtual.monotonic, sleep=virtual.sleep)
                    for _process in range(2)]
    yield Limits(limiters, virtual)
    if request.param == "redis":
        redis = limiters[0].redis  # type: ignore[attr-defined]
        keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    for limiter in limiters:
        await limiter.close()


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_at_most_thirty_a_second_overall(limits):
    granted = await limits.granted(list(range(1, 101)))  # 100 people, one message each
    times = [t for _chat, t in granted]
    assert max_in_window(times, 1.0) == 30
    # 100 messages take three windows of exactly a second (each slot counted from its answer).
    assert times[-1] == pytest.approx(3 * OVERALL_WINDOW)
    assert OVERALL_WINDOW == 1.0


async def test_one_a_second_to_one_chat_and_others_meanwhile(limits):
    granted = await limits.granted([7, 7, 8, 7])
    assert granted == [(7, 0.0), (7, 1.0), (8, 1.0), (7, 2.0)]


async def test_twenty_a_minute_to_one_group(limits):
    granted = await limits.granted([-100] * 25)
    times = [t for _chat, t in granted]
    assert max_in_window(times, 60.0) == 20
    assert times[20] == pytest.approx(60.0)


async def test_a_slow_down_from_telegram_holds_every_sender(limits):
    await limits.limiters[0].pause(7)
    assert await limits.granted([1, 2]) == [(1, 7.0), (2, 7.0)]


async def test_redis_limits_on_the_redis_clock(redis_url):
    """Without a clock of its own, the limiter reads Redis's: a second message to one chat
    right after the first must wait about a second, and a 429 holds everyone."""
    prefix = f"test:limits:{uuid.uuid4().hex}"
    first = RedisRateLimiter.from_url(redis_url, prefix=prefix)
    second = RedisRateLimiter.from_url(redis_url, prefix=prefix)
    try:
        wait, ticket = await first.try_acquire(7)
        assert wait == 0
        assert (await second.try_acquire(7))[0] == 1.0  # still in flight: ask again later
        await first.release(ticket)
        assert 0.5 < (await second.try_acquire(7))[0] <= 1.0
        assert (await second.try_acquire(8))[0] == 0
        await first.pause(30)
        assert 20 < (await second.try_acquire(9))[0] <= 30
    finally:
        keys = [key async for key in first.redis.scan_iter(f"{prefix}:*")]
        await first.redis.delete(*keys)
        await first.close()
        await second.close()


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
