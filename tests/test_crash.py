"""The bot process is killed (SIGKILL) while it sends a wave of action reminders, at several
points, and started again each time; the fake Bot API counts what arrived.

Killed while Telegram has not yet taken a message: every reminder arrives exactly once.
Killed in the instant after Telegram took a message but before the answer reached the bot:
the bot cannot know it went out and sends it again, so that one message, and only that one,
arrives twice (Telegram offers no way to ask; at-least-once is the safe side for a reminder).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import update

from bot.clock import FakeClock
from bot.content.loader import curriculum
from bot.i18n import build_i18n
from bot.offline.telegram import FakeTelegram
from bot.scheduling.actions import send_action_reminders
from bot.scheduling.context import JobContext
from storage.db import create_engine, create_session_factory
from storage.models import (
    ActionItem,
    Enterprise,
    Membership,
    OutboxMessage,
    Person,
    Role,
    Team,
)
from tests.fakes.bot_api_server import FakeBotApiServer
from tests.fakes.processes import BotProcess, free_port, until

TOKEN = "765432:CRASH-test"
SECRET = "crash-test-secret"
PEOPLE = 40
FIRST_ID = 30_000


class Wave:
    """Counts reminders reaching the fake Telegram; can hold one call and drop or keep it."""

    def __init__(self) -> None:
        self.accepted = 0
        self.stop_at: tuple[int, str] | None = None  # (call number, "before" or "after")
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def gate(self, method: str, params: dict[str, Any], result: Any) -> bool:
        if method != "sendMessage" or int(params.get("chat_id", 0)) < FIRST_ID:
            return True
        stage = "before" if result is None else "after"
        if stage == "after":
            self.accepted += 1
        number = self.accepted + (1 if stage == "before" else 0)
        if self.stop_at == (number, stage):
            self.stop_at = None
            self.held.set()
            await self.release.wait()
            return stage == "after"  # dropped unseen when held before Telegram took it
        return True

    def hold(self, number: int, stage: str) -> None:
        self.stop_at, self.held, self.release = (number, stage), asyncio.Event(), asyncio.Event()


async def _reminder_wave_queued(database_url: str, telegram: FakeTelegram) -> None:
    """Owners with actions due on a Monday a month ahead, and the production reminder job
    run on that Monday morning (a fake clock), so the wave waits in the outbox whatever day
    the test runs (then made due now); the bot process, on the real clock, finds nothing
    more to queue."""
    now = datetime.now(UTC)
    due = (now + timedelta(days=30)).date()
    due += timedelta(days=(7 - due.isoweekday()) % 7 + 1)  # the next Monday
    engine = create_engine(database_url)
    session_factory = create_session_factory(engine)
    async with session_factory() as session, session.begin():
        enterprise = Enterprise(name="Kumasi Metal Works", country="GH", timezone="UTC",
                                default_locale="en", created_at=now - timedelta(days=30))
        team = Team(enterprise=enterprise, name="Welding", created_at=now - timedelta(days=30))
        session.add_all([enterprise, team])
        for n in range(PEOPLE):
            telegram.add_user(FIRST_ID + n, f"Owner {n}")
            person = Person(telegram_id=FIRST_ID + n, display_name=f"Owner {n}")
            session.add_all([person, Membership(person=person, enterprise=enterprise,
                                                team=team, role=Role.WORKER)])
            await session.flush()
            session.add(ActionItem(enterprise_id=enterprise.id, team_id=team.id,
                                   owner_id=person.id, title=f"Task {n}", due_on=due,
                                   created_at=now, updated_at=now))
    monday_morning = FakeClock(datetime.combine(due, time(9), UTC))
    jobs = JobContext(session_factory, monday_morning, build_i18n("en"), curriculum(), b"key")
    assert await send_action_reminders(jobs) == PEOPLE
    async with session_factory() as session, session.begin():  # due now, on the real clock
        await session.execute(update(OutboxMessage).values(send_after=now))
    await engine.dispose()


async def test_killed_while_sending_reminders_every_one_arrives_once(database_url, tmp_path):
    telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
    server = FakeBotApiServer(telegram)
    wave = Wave()
    server.gate = wave.gate
    base_url = await server.start()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "BOT_TOKEN": TOKEN,
           "DATABASE_URL": database_url, "TELEGRAM_API_BASE": base_url,
           "WEBHOOK_SECRET": SECRET, "WEBHOOK_HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
           "PYTHONUNBUFFERED": "1", "OUTBOX_CLAIM_SECONDS": "10"}
    processes: list[BotProcess] = []

    def reminders() -> Counter[int]:
        return Counter(m.chat_id for m in telegram.sent
                       if m.chat_id >= FIRST_ID and "Due today" in m.text)

    try:
        await _reminder_wave_queued(database_url, telegram)
        # Three kills: twice before Telegram took the message, once just after.
        for number, stage in ((5, "before"), (17, "before"), (29, "after")):
            wave.hold(number, stage)
            process = BotProcess(f"run {len(processes) + 1}", env, free_port())
            processes.append(process)
            await process.start()
            await until(wave.held.is_set, f"call {number} is in flight", processes, 60)
            await process.stop(signal.SIGKILL)
            wave.release.set()
        in_flight = FIRST_ID + 28  # the 29th owner's reminder was taken, then the bot died
        process = BotProcess("last run", env, free_port())
        processes.append(process)
        await process.start()
        await until(lambda: len(reminders()) == PEOPLE, "every owner is reminded", processes, 60)
        await asyncio.sleep(3)  # a few more outbox rounds: nothing goes out again
        counts = reminders()
        assert sorted(counts) == [FIRST_ID + n for n in range(PEOPLE)]
        assert {chat: n for chat, n in counts.items() if n != 1} == {in_flight: 2}
    finally:
        for process in processes:
            await process.stop()
        await server.stop()
