"""Two real bot processes (`python -m bot run --webhook`) serve one bot on PostgreSQL and
Redis, against the fake Bot API in this process: both answer updates, both send from one
outbox and no message reaches Telegram twice; when the process running the scheduled jobs
is killed, the other takes over and sends the lesson wave that falls due. On SQLite, a
second process is refused."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import ClientSession
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import normalize_database_url
from bot.offline.telegram import FakeTelegram
from bot.services.outbox import enqueue
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import Enterprise, Membership, Person, Role, Team
from tests.conftest import POSTGRES_URL, REDIS_URL, _reset_postgres
from tests.fakes.bot_api_server import FakeBotApiServer
from tests.fakes.processes import BotProcess, free_port, until

TOKEN = "654321:TWO-processes"
SECRET = "two-processes-secret"
LEADER_LINE = "this process now runs the scheduled jobs"

needs_postgresql_and_redis = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL), reason="needs TEST_DATABASE_URL and TEST_REDIS_URL"
)


def sent_texts(telegram: FakeTelegram) -> Counter[str]:
    """How often each outbox text reached Telegram."""
    return Counter(c.params.get("text", "") for c in telegram.calls_of("sendMessage")
                   if c.error is None and int(c.params["chat_id"]) >= 10_000)


@needs_postgresql_and_redis
async def test_two_processes_share_the_work_and_one_takes_over(tmp_path):
    database_url = normalize_database_url(POSTGRES_URL or "")
    await _reset_postgres(database_url)
    engine = create_engine(database_url)
    await upgrade(engine)
    session_factory = create_session_factory(engine)
    redis = Redis.from_url(REDIS_URL or "")
    stale = [key async for key in redis.scan_iter("scorebot:limits:654321:*")]
    if stale:
        await redis.delete(*stale)

    telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
    server = FakeBotApiServer(telegram)
    base_url = await server.start()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL or "",
        "TELEGRAM_API_BASE": base_url, "WEBHOOK_SECRET": SECRET, "WEBHOOK_HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    }
    processes = [BotProcess(name, env, free_port()) for name in ("a", "b")]
    try:
        for process in processes:
            await process.start()
        await until(lambda: all(p.said("webhook server listening") for p in processes),
                    "both processes serve webhooks", processes)
        await until(lambda: any(p.said(LEADER_LINE) for p in processes),
                    "one process runs the scheduled jobs", processes)
        await asyncio.sleep(1.0)  # both have tried for the lock by now
        (leader,) = [p for p in processes if p.said(LEADER_LINE)]
        (other,) = [p for p in processes if p is not leader]

        # Both answer updates: /start to each process's own webhook.
        async with ClientSession() as http:
            for n, process in enumerate(processes):
                user = telegram.add_user(9000 + n, f"Visitor {n}")
                update = telegram.message_update(user["id"], "/start")
                async with http.post(f"http://127.0.0.1:{process.port}/telegram/webhook",
                                     json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 200
                assert telegram.messages_to(user["id"])

        # A wave of 150 outbox messages; both processes send from the outbox.
        now = datetime.now(UTC)
        async with session_factory() as session, session.begin():
            for n in range(150):
                telegram.add_user(10_000 + n, f"P{n}")
                enqueue(session, chat_id=10_000 + n, kind="test", text=f"wave {n}", now=now)
        await until(lambda: len(sent_texts(telegram)) == 150, "the wave is sent", processes)

        # A lesson wave falls due, and the process running the jobs is killed.
        members = await _team_with_a_lesson_due(session_factory, telegram, people=20)
        await leader.stop(signal.SIGKILL)
        await until(lambda: other.said(LEADER_LINE), "the other process takes over",
                    processes)
        await until(lambda: all(telegram.messages_to(m) for m in members),
                    "the lesson wave reaches every member", processes)
        await asyncio.sleep(2.5)  # one more outbox round: nothing goes out again
        assert all(len(telegram.messages_to(m)) == 1 for m in members)
        texts = sent_texts(telegram)
        assert all(texts[f"wave {n}"] == 1 for n in range(150))
        assert sum(texts.values()) == 150 + len(members)  # nothing sent twice
    finally:
        for process in processes:
            await process.stop()
        await server.stop()
        await redis.aclose()
        await engine.dispose()


async def _team_with_a_lesson_due(
    session_factory: async_sessionmaker[AsyncSession], telegram: FakeTelegram, people: int
) -> list[int]:
    """A team whose lesson time was a minute ago, with `people` members; returns their ids."""
    now = datetime.now(UTC)
    slot = now - timedelta(minutes=1)
    ids = [20_000 + n for n in range(people)]
    async with session_factory() as session, session.begin():
        enterprise = Enterprise(name="Tema Plastics", country="GH", timezone="UTC",
                                default_locale="en", created_at=now - timedelta(days=7))
        team = Team(enterprise=enterprise, name="Moulding", lesson_weekdays=str(
            slot.isoweekday()), lesson_hour=slot.hour, lesson_minute=slot.minute,
            created_at=now - timedelta(days=7))
        session.add_all([enterprise, team])
        for telegram_id in ids:
            telegram.add_user(telegram_id, f"Member {telegram_id}")
            person = Person(telegram_id=telegram_id, display_name=f"Member {telegram_id}")
            session.add(person)
            session.add(Membership(person=person, enterprise=enterprise, team=team,
                                   role=Role.WORKER))
    return ids


async def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path):
    """SQLite serves one process: a second `scorebot run` on the same file ends at once with
    one line and status 2; the first one goes on serving."""
    telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
    server = FakeBotApiServer(telegram)
    base_url = await server.start()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'scorebot.db'}",
        "TELEGRAM_API_BASE": base_url, "WEBHOOK_SECRET": SECRET, "WEBHOOK_HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    }
    first, second = BotProcess("first", env, free_port()), BotProcess("second", env,
                                                                       free_port())
    try:
        await first.start()
        await until(lambda: first.said("webhook server listening"), "the first one serves",
                    [first])
        await second.start()
        assert second.process is not None
        assert await asyncio.wait_for(second.process.wait(), 30) == 2
        await second.stop()
        (line,) = second.lines
        assert line.startswith("scorebot: another scorebot process already serves")
        assert first.process is not None and first.process.returncode is None
    finally:
        await second.stop()
        await first.stop()
        await server.stop()
