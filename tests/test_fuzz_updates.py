"""Property-based hostile input: 10,000 random updates per database backend through the real
dispatcher, on the demo data. Random Unicode, empty and 4096-character texts, stickers,
contacts, locations, polls, dice, forwards, edited messages, channel posts, commands with junk
arguments, forged and oversized button data naming other enterprises' ids, group commands and
join/leave events, and updates from people who never started the bot.

Among them: the main menu's buttons in every language, and greetings ("hi", "xin chào",
"sawubona 👋"...).

Whatever comes: no error is logged, every button press is answered, every message in a
private chat gets a reply, and a greeting from someone not in the middle of a conversation
stores nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import build_application
from bot.config import Settings
from bot.i18n import build_i18n
from bot.keyboards.menu import all_labels
from bot.offline.console import Console
from bot.offline.demo import DEMO_INVITE_TOKEN, DEMO_PEOPLE, seed_demo
from bot.offline.telegram import SentMessage
from bot.services.wording import GREETING_EMOJI, GREETINGS
from storage.models import Base
from tests.conftest import POSTGRES_URL, ErrorLog, fresh_postgres_url

BATCH = 50
BATCHES = int(os.environ.get("FUZZ_BATCHES", "200"))  # 10,000 updates
KNOWN = [person.telegram_id for person in DEMO_PEOPLE]
STRANGERS = list(range(3001, 3006))  # never started the bot
GROUP = -100_777
COMMANDS = ["/start", f"/start {DEMO_INVITE_TOKEN}", "/help", "/language", "/lesson",
            "/progress", "/suggest", "/review", "/stats", "/checkin", "/kpi", "/baseline",
            "/points", "/actions", "/action", "/team", "/teams", "/schedule", "/invite",
            "/pause", "/resume", "/link", "/export", "/status", "/unlink", "/climate",
            "/selfcheck", "/report", "/mydata", "/forget", "/nonexistent"]
PREFIXES = ["lang", "inv", "ls", "qz", "rv", "sc", "la", "sg", "sr", "sp", "ck", "kp", "ac",
            "pa", "es", "en", "pu", "lc", "pv", "cmd"]
WORDS = ["1", "0", "-1", "2147483647", "2147483648", "99999999999999", "abc", "m1-01", "done",
         "yes", "no", "start", "", "skip", "baseline", "chart", "hour", "day", "show",
         "accept", "ask", "answer", "owner", "due", "date", "snooze", "ack", "health", "export",
         "kpi", "team", "cancel", "pick_owner", "pick_date", "move", "progress", "help",
         "forget", "keep", "answer", "rep", "take", "drop", "12345", "55555"]

MENU_LABELS = sorted({label for locale in all_labels(build_i18n()).values() for label in locale})
GREETING_WORDS = [*sorted(GREETINGS | GREETING_EMOJI), "Hi!", "HELLO", "Xin chào", "Chào bạn",
                  "Sawubona!", "Bonjour 👋", "¡Hola!", "Halo kak"]

ids = st.integers(min_value=-(2**40), max_value=2**40)
small_ids = st.integers(min_value=0, max_value=60)  # the demo's real ids, other enterprises' too
field = st.one_of(st.sampled_from(WORDS), ids.map(str), small_ids.map(str),
                  st.text(max_size=8))
forged_data = st.one_of(
    st.builds(lambda prefix, fields: ":".join([prefix, *fields]), st.sampled_from(PREFIXES),
              st.lists(field, max_size=4)),
    st.text(max_size=100),  # anything, oversized included
    st.just(""),
)
texts = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(COMMANDS),
    st.builds(lambda c, junk: f"{c} {junk}", st.sampled_from(COMMANDS), st.text(max_size=60)),
    st.just("x" * 4096),
    st.just(""),
    st.sampled_from(["12,5", "12.5", "-3", "1e309", "NaN", "<b>", "&amp;", "😀" * 50]),
)
greetings = st.builds(lambda word, end: word + end, st.sampled_from(GREETING_WORDS),
                      st.sampled_from(["", "!", " ", "?", " 👋", "..."]))
senders = st.sampled_from(KNOWN * 3 + STRANGERS)
contents = st.sampled_from(["sticker", "contact", "location", "poll", "dice", "photo", "voice",
                            "document"])
update_specs = st.one_of(
    st.tuples(st.just("text"), senders, texts),
    st.tuples(st.just("text"), senders, st.sampled_from(MENU_LABELS)),
    st.tuples(st.just("greeting"), senders, greetings),
    st.tuples(st.just("content"), senders, contents),
    st.tuples(st.just("forward"), senders, texts),
    st.tuples(st.just("edited"), senders, texts),
    st.tuples(st.just("channel"), senders, texts),
    st.tuples(st.just("button"), senders, forged_data),
    st.tuples(st.just("group"), senders, st.one_of(texts, st.sampled_from(
        ["/status", "/link ABCDEFGH", "/unlink", "/help@scorebot_demo_bot"]))),
    st.tuples(st.just("group_event"), senders, st.sampled_from(["join", "leave", "bot_in",
                                                                "bot_out"])),
)


def _content(kind: str) -> dict[str, Any]:
    return {
        "sticker": {"sticker": {"file_id": "S", "file_unique_id": "s", "type": "regular",
                                "width": 1, "height": 1, "is_animated": False,
                                "is_video": False}},
        "contact": {"contact": {"phone_number": "+233200000000", "first_name": "X"}},
        "location": {"location": {"latitude": 5.6, "longitude": -0.2}},
        "poll": {"poll": {"id": "p", "question": "?", "options": [
            {"text": "a", "voter_count": 0, "persistent_id": "a"},
            {"text": "b", "voter_count": 0, "persistent_id": "b"}],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False, "allows_revoting": False,
            "members_only": False}},
        "dice": {"dice": {"emoji": "🎲", "value": 3}},
        "photo": {"photo": [{"file_id": "P", "file_unique_id": "p", "width": 9, "height": 9}]},
        "voice": {"voice": {"file_id": "V", "file_unique_id": "v", "duration": 2}},
        "document": {"document": {"file_id": "D", "file_unique_id": "d"}},
    }[kind]


class Fuzzer:
    def __init__(self, app, console: Console) -> None:  # type: ignore[no-untyped-def]
        self.app, self.console, self.telegram = app, console, console.telegram
        self.updates = 0
        self.silent: list[str] = []
        self.stored: list[str] = []  # greetings that stored something

    def _update(self, kind: str, user_id: int, value: Any) -> tuple[dict[str, Any], int | None]:
        """The raw update, and the private chat that must get a reply (None: no promise)."""
        tg = self.telegram
        if kind in ("text", "greeting"):
            return tg.message_update(user_id, value), user_id if value else None
        if kind == "content":
            return tg.message_update(user_id, **_content(value)), user_id
        if kind == "forward":
            origin = {"type": "user", "date": 0, "sender_user": tg.users[KNOWN[0]]}
            return tg.message_update(user_id, value or "x", forward_origin=origin), None
        if kind == "edited":
            message = tg.message_update(user_id, value or "x")["message"]
            return tg._update(edited_message={**message, "edit_date": 1}), None
        if kind == "channel":
            channel = {"id": -100_555, "type": "channel", "title": "News"}
            return tg._update(channel_post={"message_id": 1, "date": 0, "chat": channel,
                                            "text": value or "x"}), None
        if kind == "button":
            source = next((m for m in reversed(tg.sent[-30:]) if m.chat_id == user_id), None)
            source = source or SentMessage(user_id, 1, "old", "old")
            return tg.callback_update(user_id, source, value), None
        if kind == "group":
            return tg.message_update(user_id, value or "x", chat_id=GROUP), None
        member = {"user": tg.users[user_id]} if value in ("join", "leave") else {
            "user": tg._me()}
        if value == "join":
            return tg.message_update(user_id, chat_id=GROUP,
                                     new_chat_members=[tg.users[user_id]]), None
        if value == "leave":
            return tg.message_update(user_id, chat_id=GROUP,
                                     left_chat_member=tg.users[user_id]), None
        old, new = ("left", "member") if value == "bot_in" else ("member", "left")
        return tg._update(my_chat_member={
            "chat": tg.chats[GROUP], "from": tg.users[user_id], "date": 0,
            "old_chat_member": {"status": old, **member},
            "new_chat_member": {"status": new, **member}}), None

    async def _stored(self) -> dict[str, int]:
        """How many rows each table holds (the record of handled updates aside)."""
        async with self.app.session_factory() as session:
            return {table.name: await session.scalar(select(func.count()).select_from(table))
                    for table in Base.metadata.sorted_tables
                    if table.name != "processed_updates"}

    async def _in_a_conversation(self, user_id: int) -> bool:
        key = StorageKey(bot_id=self.console.bot.id, chat_id=user_id, user_id=user_id)
        return await self.app.dispatcher.fsm.storage.get_state(key) is not None

    async def feed(self, batch: list[tuple[str, int, Any]]) -> None:
        for kind, user_id, value in batch:
            update, must_reply = self._update(kind, user_id, value)
            before = len(self.telegram.sent)
            stored = None
            if kind == "greeting" and not await self._in_a_conversation(user_id):
                stored = await self._stored()
            await self.app.dispatcher.feed_raw_update(self.console.bot, update)
            self.updates += 1
            if stored is not None and await self._stored() != stored:
                self.stored.append(f"greeting {value!r} from {user_id}")
            if must_reply is not None and not any(
                    m.chat_id == must_reply for m in self.telegram.sent[before:]):
                self.silent.append(f"{kind} {value!r:.60} from {user_id}")
        await self.console._flush_outbox()


async def _open(database_url: str) -> Fuzzer:
    app = await build_application(Settings(database_url=database_url))
    async with app.session_factory() as session, session.begin():
        await seed_demo(session, app.clock)
    console = await Console.open(app, write=lambda _line: None)
    for user_id in STRANGERS:
        console.telegram.add_user(user_id, f"Stranger {user_id}", "pt")
    for person in DEMO_PEOPLE:
        console.telegram.add_user(person.telegram_id, person.name, person.language_code)
    console.telegram.add_group(GROUP, "Coaching group")
    return Fuzzer(app, console)


def fuzz(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    fuzzer = loop.run_until_complete(_open(database_url))
    started = time.monotonic()
    try:
        @settings(max_examples=BATCHES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(st.lists(update_specs, min_size=BATCH, max_size=BATCH))
        def property_holds(batch: list[tuple[str, int, Any]]) -> None:
            loop.run_until_complete(fuzzer.feed(batch))
            assert errors.lines == [], errors.lines[:5]
            assert fuzzer.telegram.unanswered_queries() == []
            assert fuzzer.silent == [], fuzzer.silent[:10]
            assert fuzzer.stored == [], fuzzer.stored[:10]

        property_holds()
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(fuzzer.console.close())
        loop.run_until_complete(fuzzer.app.close())
        loop.close()
    logging.getLogger(__name__).info("%s updates in %.0f s", fuzzer.updates,
                                     time.monotonic() - started)
    assert fuzzer.updates >= BATCH * BATCHES


# Hypothesis warns that a failing batch of 50 updates has a long repr; the assertion says more.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


def test_ten_thousand_hostile_updates_on_sqlite(tmp_path):
    fuzz(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}")


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")
def test_ten_thousand_hostile_updates_on_postgresql():
    url = fresh_postgres_url()
    fuzz(url)
