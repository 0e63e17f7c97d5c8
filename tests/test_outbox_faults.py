"""A 300-message wave reaches everyone, once, whatever Telegram or a proxy in front of it does
meanwhile: JSON 5xx and HTML error pages for two minutes, hanging calls, dropped connections,
429 bursts, a group that becomes a supergroup, Redis away.

The sender runs as the scheduler runs it, every STEP on a fake clock; Telegram's rate limits
are applied on a virtual clock (checked, nobody waits). Faults are played by the fake Bot API
over real HTTP, so aiogram meets exactly what it would meet in production."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Settings
from bot.offline.telegram import FakeTelegram
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import FallbackLimiter, RedisRateLimiter, virtual_limiter
from bot.services.outbox import enqueue
from storage.db import create_engine, create_session_factory
from storage.models import GroupChat, OutboxMessage, OutboxStatus
from tests.fakes.bot_api_server import FakeBotApiServer
from tests.fakes.harness import BotUnderTest
from tests.fakes.processes import free_port

TOKEN = "777:FAULTS"
WAVE = 300
FIRST = 10_000  # chat ids of the wave's people
STEP = timedelta(seconds=2)  # the scheduler runs the sender every 2 s
PAUSE_MAX = 8.0  # OUTBOX_PAUSE_MAX_SECONDS, small so the outage is crossed in few steps


class Line:
    """The bot's outbox, a wave queued in it, and a fake Telegram that may misbehave."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
        self.server = FakeBotApiServer(self.telegram)
        self.clock = FakeClock(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
        self.steps = 0

    async def __aenter__(self) -> Line:
        base_url = await self.server.start()
        self.engine = create_engine(self.database_url)
        self.session_factory = create_session_factory(self.engine)
        self.bot = build_bot(Settings(bot_token=TOKEN, telegram_api_base=base_url))
        self.sender = self.new_sender()
        return self

    def new_sender(self, limiter=None, concurrency: int = 1) -> OutboxSender:  # type: ignore[no-untyped-def]
        return OutboxSender(self.session_factory, self.bot, self.clock,
                            limiter or virtual_limiter()[0], request_timeout=0.3,
                            concurrency=concurrency, breaker_max=PAUSE_MAX)

    async def __aexit__(self, *exc_info: object) -> None:
        await self.bot.session.close()
        await self.server.stop()
        await self.engine.dispose()

    async def queue_wave(self) -> None:
        async with self.session_factory() as session, session.begin():
            for n in range(WAVE):
                self.telegram.add_user(FIRST + n, f"P{n}")
                enqueue(session, chat_id=FIRST + n, kind="lesson", text=f"wave {n}",
                        now=self.clock.now())

    async def step(self) -> None:
        """One run of the sender, then the clock moves on to the next run."""
        await self.sender.send_pending()
        self.clock.advance(STEP)
        self.steps += 1

    def arrivals(self) -> Counter[str]:
        return Counter(m.text for m in self.telegram.sent if m.text.startswith("wave"))

    def sends(self) -> int:
        return len(self.telegram.calls_of("sendMessage"))

    async def statuses(self) -> Counter[str]:
        async with self.session_factory() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            return Counter({str(status): count for status, count in rows})

    async def run_until_delivered(self, most_steps: int) -> None:
        for _ in range(most_steps):
            if len(self.arrivals()) == WAVE:
                return
            await self.step()
        assert len(self.arrivals()) == WAVE, f"{len(self.arrivals())} of {WAVE} arrived"


def every_one_once(line: Line) -> None:
    arrivals = line.arrivals()
    assert set(arrivals) == {f"wave {n}" for n in range(WAVE)}
    assert max(arrivals.values()) == 1


@pytest.mark.parametrize("kind", ["json_5xx", "html_502", "drop"])
async def test_a_two_minute_outage_loses_nothing_and_spends_no_attempts(database_url, kind):
    """Telegram (or its proxy) fails every call for 120 s during the wave: the sender pauses,
    tries one message per pause, and sends everything once the way is back."""
    async with Line(database_url) as line:
        await line.queue_wave()
        outage_end = line.clock.now() + timedelta(seconds=120)
        line.server.inject(kind, active=lambda: line.clock.now() < outage_end)
        while line.clock.now() < outage_end:
            await line.step()
        assert line.arrivals() == Counter()
        # One try per pause (1, 2, 4, 8, 8, ... s): about 17 calls in 120 s, not 5 per message.
        assert line.sends() <= 20
        assert (await line.statuses()) == {"pending": WAVE}

        # Once the fault ends: everything within the longest pause and one more run.
        await line.run_until_delivered(most_steps=int(PAUSE_MAX / STEP.total_seconds()) + 2)
        every_one_once(line)
        assert (await line.statuses()) == {"sent": WAVE}


async def test_forty_html_error_pages_in_the_wave(database_url):
    async with Line(database_url) as line:
        await line.queue_wave()
        line.server.inject("html_502", times=40)
        # 40 pages in a row are an outage: pauses of 1, 2, 4, then 8 s: about 304 s of
        # pauses, so at most 160 runs of 2 s (the old sender had 50 of 300 after 300 s).
        await line.run_until_delivered(most_steps=160)
        every_one_once(line)
        assert (await line.statuses()) == {"sent": WAVE}


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_hanging_calls_time_out_and_the_rest_go_on(database_url, concurrency):
    """Three calls hang far longer than the request timeout (0.3 s here): each gives up at
    the timeout and pauses sending briefly; the wave still goes out in a few runs."""
    async with Line(database_url) as line:
        line.sender = line.new_sender(concurrency=concurrency)
        await line.queue_wave()
        hang = line.server.inject("hang", times=3, seconds=3.0)
        await line.run_until_delivered(most_steps=12)
        assert hang.hits == 3
        every_one_once(line)  # a hanging call is never carried out


async def test_a_burst_of_429_answers(database_url):
    async with Line(database_url) as line:
        await line.queue_wave()
        line.server.inject("429", times=25, retry_after=3)
        await line.run_until_delivered(most_steps=25 * 2 + 5)
        every_one_once(line)
        assert (await line.statuses()) == {"sent": WAVE}


async def test_a_message_taken_as_the_connection_broke_is_sent_again_once(database_url):
    """The one duplicate the outbox allows: Telegram took the message, the answer was lost."""
    async with Line(database_url) as line:
        await line.queue_wave()
        broken = line.server.inject("take_and_drop", times=3)
        await line.run_until_delivered(most_steps=20)
        arrivals = line.arrivals()
        assert set(arrivals) == {f"wave {n}" for n in range(WAVE)}
        assert sum(arrivals.values()) - WAVE <= broken.hits == 3
        assert (await line.statuses()) == {"sent": WAVE}


async def test_a_linked_group_that_became_a_supergroup_is_followed(database_url):
    """The group's digest is refused with migrate_to_chat_id in the middle of the wave: the
    group and its message move to the new id, and nobody else in the batch waits."""
    old_id, new_id = -4001, -1_000_000_4001
    async with Line(database_url) as line:
        line.telegram.add_group(old_id, "Consultants")
        line.telegram.migrate_group(old_id, new_id)
        async with line.session_factory() as session, session.begin():
            session.add(GroupChat(telegram_chat_id=old_id, title="Consultants"))
            for n in range(WAVE):
                line.telegram.add_user(FIRST + n, f"P{n}")
                enqueue(session, chat_id=FIRST + n, kind="lesson", text=f"wave {n}",
                        now=line.clock.now())
                if n == 10:
                    enqueue(session, chat_id=old_id, kind="digest", text="digest",
                            now=line.clock.now())
        await line.run_until_delivered(most_steps=1)  # nobody in the batch waits
        assert [m.text for m in line.telegram.messages_to(new_id)] == ["digest"]
        every_one_once(line)
        async with line.session_factory() as session:
            assert await session.scalar(select(GroupChat.telegram_chat_id)) == new_id
            assert await session.scalar(
                select(OutboxMessage.chat_id).where(OutboxMessage.kind == "digest")) == new_id
        assert (await line.statuses()) == {"sent": WAVE + 1}


async def test_with_redis_away_each_process_keeps_its_own_limits(database_url):
    """REDIS_URL names a Redis that does not answer: the wave still goes out."""
    unreachable = RedisRateLimiter.from_url(f"redis://127.0.0.1:{free_port()}/1",
                                            prefix="scorebot:limits:test")
    local, _virtual = virtual_limiter()
    async with Line(database_url) as line:
        line.sender = line.new_sender(FallbackLimiter(unreachable, local))
        await line.queue_wave()
        await line.run_until_delivered(most_steps=2)
        every_one_once(line)
        await line.sender.limiter.close()


async def test_messages_expire_by_age_not_by_tries(database_url):
    async with Line(database_url) as line:
        line.telegram.add_user(FIRST, "P0")
        line.telegram.add_user(FIRST + 1, "P1")
        async with line.session_factory() as session, session.begin():
            enqueue(session, chat_id=FIRST, kind="lesson", text="old",
                    now=line.clock.now() - timedelta(hours=24, minutes=1))
            late = enqueue(session, chat_id=FIRST + 1, kind="lesson", text="late",
                           now=line.clock.now() - timedelta(hours=23))
            late.attempts = 40  # many tries in an earlier outage do not matter
        await line.step()
        assert [m.text for m in line.telegram.sent] == ["late"]
        async with line.session_factory() as session:
            old = await session.scalar(select(OutboxMessage).where(OutboxMessage.text == "old"))
            assert old is not None and old.status == OutboxStatus.FAILED
            assert old.last_error.startswith("expired")


async def test_the_migration_service_message_moves_the_group(database_url):
    """Telegram tells the old group it became a supergroup: the links and what waits in the
    outbox for it go to the new id before any send is refused."""
    old_id, new_id = -4002, -1_000_000_4002
    async with BotUnderTest(database_url) as tg:
        ama = tg.person("Ama")
        tg.telegram.add_group(old_id, "Consultants")
        async with tg.app.session_factory() as session, session.begin():
            session.add(GroupChat(telegram_chat_id=old_id, title="Consultants"))
            enqueue(session, chat_id=old_id, kind="digest", text="digest", now=tg.clock.now())
        tg.telegram.migrate_group(old_id, new_id)
        await tg.deliver(tg.telegram.message_update(ama.id, None, chat_id=old_id,
                                                    migrate_to_chat_id=new_id), old_id)
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(GroupChat.telegram_chat_id)) == new_id
            assert await session.scalar(select(OutboxMessage.chat_id)) == new_id
        await tg.run_scheduled()
        assert [m.text for m in tg.telegram.messages_to(new_id)] == ["digest"]
        assert not tg.telegram.calls_of("sendMessage")[:-1]  # the old id was never tried


async def test_rows_claimed_when_the_database_went_away_are_given_back_when_it_returns(
    database_url
):
    """The database fails in the middle of a batch, and again when the sender gives the batch
    back: the next run (2 s later, not OUTBOX_CLAIM_SECONDS later) gives it back and sends."""
    async with Line(database_url) as line:
        await line.queue_wave()
        sender = line.sender
        real_send, real_release = sender._send_one, sender._release_now
        calls = {"send": 0, "release": 0}

        async def send_until_the_database_goes(message):  # type: ignore[no-untyped-def]
            calls["send"] += 1
            if calls["send"] == 10:
                raise ConnectionRefusedError("the database went away")
            return await real_send(message)

        async def release_fails_once(ids, lease):  # type: ignore[no-untyped-def]
            calls["release"] += 1
            if calls["release"] == 1:
                raise ConnectionRefusedError("the database is still away")
            await real_release(ids, lease)

        sender._send_one = send_until_the_database_goes  # type: ignore[method-assign]
        sender._release_now = release_fails_once  # type: ignore[method-assign]
        with pytest.raises(ExceptionGroup):
            await line.step()
        assert len(line.arrivals()) == 9
        await line.run_until_delivered(most_steps=1)
        every_one_once(line)
