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
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.offline.telegram import FakeTelegram
from bot.services.lessons import is_working_daytime
from storage.db import create_engine, create_session_factory
from storage.models import ActionItem, Enterprise, Membership, Person, Role, Team
from tests.fakes.bot_api_server import FakeBotApiServer
from tests.fakes.processes import BotProcess, free_port, until

TOKEN = "765432:CRASH-test"
SECRET = "crash-test-secret"
PEOPLE = 40
FIRST_ID = 30_000
# Zones far apart, so that at any moment one of them has a working day in daytime.
ZONES = ("UTC", "Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kolkata",
         "America/Sao_Paulo", "Pacific/Honolulu", "Asia/Dubai")


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


async def _owners_with_actions_due(database_url: str, telegram: FakeTelegram) -> None:
    now = datetime.now(UTC)
    zone = next(z for z in ZONES if is_working_daytime(now, z))
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session, session.begin():
        enterprise = Enterprise(name="Kumasi Metal Works", country="GH", timezone=zone,
                                default_locale="en", created_at=now - timedelta(days=30))
        team = Team(enterprise=enterprise, name="Welding", created_at=now - timedelta(days=30))
        session.add_all([enterprise, team])
        today = now.astimezone(ZoneInfo(zone)).date()
        for n in range(PEOPLE):
            telegram.add_user(FIRST_ID + n, f"Owner {n}")
            person = Person(telegram_id=FIRST_ID + n, display_name=f"Owner {n}")
            session.add_all([person, Membership(person=person, enterprise=enterprise,
                                                team=team, role=Role.WORKER)])
            await session.flush()
            session.add(ActionItem(enterprise_id=enterprise.id, team_id=team.id,
                                   owner_id=person.id, title=f"Task {n}", due_on=today,
                                   created_at=now, updated_at=now))
    await engine.dispose()


async def test_killed_while_sending_reminders_every_one_arrives_once(database_url, tmp_path):
    telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
    server = FakeBotApiServer(telegram)
    wave = Wave()
    server.gate = wave.gate
    base_url = await server.start()
    await _owners_with_actions_due(database_url, telegram)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "BOT_TOKEN": TOKEN,
           "DATABASE_URL": database_url, "TELEGRAM_API_BASE": base_url,
           "WEBHOOK_SECRET": SECRET, "WEBHOOK_HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
           "PYTHONUNBUFFERED": "1", "OUTBOX_CLAIM_SECONDS": "10"}
    processes: list[BotProcess] = []

    def reminders() -> Counter[int]:
        return Counter(m.chat_id for m in telegram.sent
                       if m.chat_id >= FIRST_ID and "Due today" in m.text)

    try:
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
