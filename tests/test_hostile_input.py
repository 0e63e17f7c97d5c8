"""Random and hostile input through the real dispatcher (offline console, demo data): junk
text, every command, oversized and malformed text, and forged buttons of every kind with
out-of-range ids. Nothing may fail, and every button press must be answered.
tests/test_fuzz_updates.py sends 10,000 property-based updates of the same kinds."""

from __future__ import annotations

import logging
import random
import string

from bot.app import build_application
from bot.config import Settings
from bot.offline.console import Console
from bot.offline.demo import DEMO_INVITE_TOKEN, seed_demo

PREFIXES = ["lang", "inv", "ls", "qz", "rv", "sc", "la", "sg", "sr", "sp", "ck", "kp", "ac",
            "pu", "lc"]
FIELDS = ["1", "0", "-1", "999999999999", "2147483648", "abc", "m1-01", "done", "yes",
          "start", "", "9" * 30, "skip", "baseline", "chart", "hour", "day"]
TEXTS = ["/suggest", "/checkin", "/kpi", "/lesson", "/progress", "/review", "/stats",
         "/actions", "/schedule", "/baseline", "/points", "/invite", "/team", "/pause",
         "/resume", "/language", "/help", "/start", "/climate", "/selfcheck", "/report",
         f"/start {DEMO_INVITE_TOKEN}",
         "/start ../../x", "12,5", "abc", "x" * 4096, "<b>", "&nbsp;", "8:-60,4:0,1:80",
         "😀" * 100, "/unknown arg"]


async def test_random_and_forged_updates_never_fail(tmp_path, caplog):
    app = await build_application(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/h.db"))
    async with app.session_factory() as session, session.begin():
        await seed_demo(session, app.clock)
    console = await Console.open(app, write=lambda _line: None)
    rnd = random.Random(20261122)
    caplog.set_level(logging.ERROR)
    try:
        for _ in range(700):
            await console.handle_line(f":as {rnd.randint(1, 7)}")
            assert console.current is not None
            me = console.current.telegram_id
            roll = rnd.random()
            if roll < 0.45:
                text = rnd.choice(TEXTS) if rnd.random() < 0.7 else "".join(
                    rnd.choice(string.printable + "éü中文") for _ in range(rnd.randint(1, 40)))
                if text.strip():
                    await app.dispatcher.feed_raw_update(
                        console.bot, console.telegram.message_update(me, text))
            elif roll < 0.75 and console.last_with_buttons is not None:
                await console.handle_line(f":{rnd.randint(1, 6)}")
            elif console.telegram.sent:
                fields = ":".join(rnd.choice(FIELDS) for _ in range(rnd.randint(0, 3)))
                data = f"{rnd.choice(PREFIXES)}:{fields}"[:64]
                update = console.telegram.callback_update(me, console.telegram.sent[-1], data)
                await app.dispatcher.feed_raw_update(console.bot, update)
            await console._flush_outbox()
    finally:
        await console.close()
        await app.close()
    failures = [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
    assert console.telegram.unanswered_queries() == []
