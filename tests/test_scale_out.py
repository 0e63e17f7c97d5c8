"""Several processes on one database: outbox rows are claimed so two senders never send one
message twice, a dead sender's claim is taken over after its lease, and on PostgreSQL one
process at a time holds the scheduler lock, another taking over when it is lost."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.scheduling.leader import Leadership
from bot.scheduling.outbox_sender import CLAIM_LEASE, OutboxSender
from bot.scheduling.rate_limit import Ticket, virtual_limiter
from bot.services.outbox import enqueue
from storage.db import create_engine
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import backend_of
from tests.fakes.harness import BotUnderTest


async def eventually(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait until `condition()` holds (what we wait for, not how fast it comes)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


def another_sender(tg: BotUnderTest) -> OutboxSender:
    return OutboxSender(tg.app.session_factory, tg.bot, tg.clock, virtual_limiter()[0])


async def queue_wave(tg: BotUnderTest, people: int, per_person: int) -> None:
    async with tg.app.session_factory() as session, session.begin():
        for n in range(people):
            user = tg.person(f"P{n}")
            for part in range(per_person):
                enqueue(session, chat_id=user.id, kind="test", text=f"{n}/{part}",
                        now=tg.clock.now())


async def test_two_senders_never_send_one_message_twice(database_url):
    if backend_of(database_url) != "postgresql":
        pytest.skip("several senders at once need PostgreSQL (SQLite serves one process)")
    async with BotUnderTest(database_url) as tg:
        await queue_wave(tg, people=60, per_person=3)
        senders = [tg.sender, another_sender(tg)]

        async def drain(sender: OutboxSender) -> int:
            total = 0
            while sent := await sender.send_pending():
                total += sent
            return total

        counts = await asyncio.gather(*(drain(sender) for sender in senders))
        texts = Counter(m.text for m in tg.telegram.sent)
        assert len(texts) == 180 and set(texts.values()) == {1}
        assert sum(counts) == 180 and all(counts)  # both took part
        async with tg.app.session_factory() as session:
            rows = list(await session.execute(
                select(OutboxMessage.status, OutboxMessage.claimed_until)))
        assert set(rows) == {(OutboxStatus.SENT, None)}


async def test_a_dead_senders_claim_is_taken_over_after_its_lease(database_url):
    async with BotUnderTest(database_url) as tg:
        await queue_wave(tg, people=3, per_person=1)
        now = tg.clock.now()
        dead = another_sender(tg)
        claimed = await dead._claim(now, now + CLAIM_LEASE)  # then it died
        assert len(claimed) == 3
        assert await tg.sender.send_pending() == 0  # claimed by someone else
        tg.clock.advance(CLAIM_LEASE)
        assert await tg.sender.send_pending() == 3
        assert sorted(m.text for m in tg.telegram.sent) == ["0/0", "1/0", "2/0"]


async def test_a_sender_gives_back_what_it_cannot_send_before_its_lease_ends(database_url):
    async with BotUnderTest(database_url) as tg:
        await queue_wave(tg, people=1, per_person=3)  # one chat: a second between messages
        sender = tg.sender

        acquire = sender.limiter.acquire

        async def slow_acquire(chat_id: int) -> Ticket:
            tg.clock.advance(timedelta(seconds=40))  # as if sending took that long
            return await acquire(chat_id)

        sender.limiter.acquire = slow_acquire  # type: ignore[method-assign]
        assert await sender.send_pending() == 1  # the second would end too near the lease
        async with tg.app.session_factory() as session:
            pending = list(await session.scalars(select(OutboxMessage.claimed_until).where(
                OutboxMessage.status == OutboxStatus.PENDING)))
        assert pending == [None, None]  # given back for any sender to take


async def _lock_holder_pid(url: str, key: int) -> int | None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        pid = await connection.scalar(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": key})
    await engine.dispose()
    return pid


async def test_one_process_leads_and_another_takes_over(database_url):
    if backend_of(database_url) != "postgresql":
        pytest.skip("the scheduler lock is PostgreSQL's; SQLite serves one process")
    key = 5_302_914_999  # not the real lock: other tests may run bots meanwhile
    engines = [create_engine(database_url) for _process in range(2)]
    events: list[tuple[int, str]] = []
    leaders = [
        Leadership(engine, retry_seconds=0.05, key=key,
                   on_gain=lambda n=n: events.append((n, "gain")),
                   on_loss=lambda n=n: events.append((n, "loss")))
        for n, engine in enumerate(engines)
    ]
    tasks = [asyncio.create_task(leader.run()) for leader in leaders]
    try:
        await eventually(lambda: any(leader.leading for leader in leaders))
        await asyncio.sleep(0.3)  # several rounds of trying: still one leader
        assert sum(leader.leading for leader in leaders) == 1
        first = 0 if leaders[0].leading else 1
        assert events == [(first, "gain")]

        # The leader's session dies (the process was killed, the connection cut).
        pid = await _lock_holder_pid(database_url, key)
        engine = create_engine(database_url)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await engine.dispose()

        await eventually(lambda: leaders[1 - first].leading)
        await eventually(lambda: (first, "loss") in events)
        assert events.count((1 - first, "gain")) == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()
    assert await _lock_holder_pid(database_url, key) is None  # let go on stopping
    assert not any(leader.leading for leader in leaders)
