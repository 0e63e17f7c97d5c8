"""`scorebot console`: chat with the real dispatcher and handlers in a terminal, with no token
and no network. You pick who you are, type messages, and press buttons by number."""

from __future__ import annotations

import asyncio
import itertools
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from sqlalchemy import func, select

from bot.app import Application
from bot.offline.demo import DEMO_INVITE_TOKEN
from bot.offline.session import InProcessSession
from bot.offline.telegram import FakeTelegram, SentMessage
from bot.scheduling.due_work import run_due_work
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import virtual_limiter
from storage.models import Person, ProcessedUpdate

HELP = """\
Console commands (everything else is sent to the bot as a message):
  :who            list the people you can be
  :as N           become person N
  :new [LANG]     become a newcomer who has not joined yet (LANG: en, es, fr, vi, id, zh, hi, zu)
  :N              press button N of the last message with buttons
  :tick           run the scheduled jobs now (lessons due, reminders, weekly summaries)
  :help           this text
  :quit           leave (Ctrl-D works too)"""


@dataclass
class Persona:
    telegram_id: int
    name: str
    language_code: str | None
    about: str


class Console:
    """The terminal chat, separated from stdin/stdout so tests can drive it line by line."""

    def __init__(self, app: Application, telegram: FakeTelegram, bot: Bot,
                 write: Callable[[str], None] = print) -> None:
        self.app = app
        self.telegram = telegram
        self.bot = bot
        self.write = write
        self.personas: list[Persona] = []
        self.current: Persona | None = None
        self.last_with_buttons: SentMessage | None = None
        self._newcomer_ids = itertools.count(900_001)
        self._seen: dict[int, int] = {}  # chat id -> how many sent messages were shown
        # Offline, nobody should wait for Telegram's limits: they run on a virtual clock.
        self.sender = OutboxSender(app.session_factory, bot, app.clock, virtual_limiter()[0])

    @classmethod
    async def open(cls, app: Application, write: Callable[[str], None] = print) -> Console:
        telegram = FakeTelegram(token="42:OFFLINE", username="scorebot_demo_bot")
        bot = Bot(token=telegram.token, session=InProcessSession(telegram),
                  default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        console = cls(app, telegram, bot, write)
        async with app.session_factory() as session:
            handled = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
        telegram.continue_update_ids(handled or 0)
        await console._load_personas()
        return console

    async def _load_personas(self) -> None:
        async with self.app.session_factory() as session:
            people = (await session.scalars(select(Person).order_by(Person.id))).all()
            for person in people:
                await session.refresh(person, ["memberships"])
                about = ", ".join(
                    sorted({m.role.value.replace("_", " ") for m in person.memberships})
                ) or "not joined"
                self._add_persona(Persona(person.telegram_id, person.display_name,
                                          person.telegram_language, about))

    def _add_persona(self, persona: Persona) -> Persona:
        self.personas.append(persona)
        first, _, last = persona.name.partition(" ")
        self.telegram.add_user(persona.telegram_id, first or persona.name,
                               persona.language_code, last or None)
        return persona

    def banner(self) -> str:
        lines = ["scorebot console: the real bot, offline. Type :help for console commands.", ""]
        lines.append(self._who())
        lines += [
            "",
            f"To join as a newcomer: type :new, then /start {DEMO_INVITE_TOKEN}",
        ]
        return "\n".join(lines)

    def _who(self) -> str:
        if not self.personas:
            return "Nobody has started the bot yet: type :new to be a newcomer."
        rows = [
            f"  {index}. {p.name} ({p.about}, {p.language_code or '-'})"
            + ("  <- you" if p is self.current else "")
            for index, p in enumerate(self.personas, start=1)
        ]
        return "People:\n" + "\n".join(rows)

    async def handle_line(self, line: str) -> bool:
        """Act on one typed line. Returns False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return await self._console_command(line[1:].strip())
        if self.current is None:
            self.write("Pick who you are first: :as N (see :who), or :new")
            return True
        update = self.telegram.message_update(self.current.telegram_id, line)
        await self._deliver(update)
        return True

    async def _console_command(self, command: str) -> bool:
        word, _, rest = command.partition(" ")
        if word in {"quit", "exit", "q"}:
            return False
        if word == "help":
            self.write(HELP)
        elif word == "who":
            self.write(self._who())
        elif word == "as":
            self._become(rest.strip())
        elif word == "new":
            language = rest.strip() or "en"
            persona = self._add_persona(
                Persona(next(self._newcomer_ids), f"Newcomer {len(self.personas) + 1}",
                        language, "newcomer")
            )
            self.current = persona
            self.write(f"You are now {persona.name} (Telegram language {language}).")
        elif word.isdigit():
            await self._press(int(word))
        elif word == "tick":
            await run_due_work(self.app.jobs)
            await self._flush_outbox()
            self._show_unseen()
        else:
            self.write(f"Unknown console command :{word}. Type :help.")
        return True

    def _become(self, ref: str) -> None:
        if not ref.isdigit() or not 1 <= int(ref) <= len(self.personas):
            self.write(f"Choose a number from 1 to {len(self.personas)}: :as N")
            return
        self.current = self.personas[int(ref) - 1]
        self.last_with_buttons = None
        self.write(f"You are now {self.current.name} ({self.current.about}).")
        self._show_unseen()

    async def _press(self, number: int) -> None:
        message = self.last_with_buttons
        if self.current is None or message is None:
            self.write("There is no message with buttons to press.")
            return
        flat = [b for row in message.buttons for b in row]
        if not 1 <= number <= len(flat):
            self.write(f"Choose a button from 1 to {len(flat)}.")
            return
        data = flat[number - 1].get("callback_data")
        if data is None:
            self.write("That button opens a link; the console cannot follow it.")
            return
        await self._deliver(self.telegram.callback_update(self.current.telegram_id, message, data))

    async def _deliver(self, update: dict) -> None:
        assert self.current is not None
        await self.app.dispatcher.feed_raw_update(self.bot, update)
        # Messages the bot sends on its own (to this person or others) go out at once here.
        await self._flush_outbox()
        self._show_unseen()

    async def _flush_outbox(self) -> None:
        while await self.sender.send_pending():
            pass

    def _show_unseen(self) -> None:
        """Show the current person what the bot sent them since they last looked."""
        if self.current is None:
            return
        chat = self.current.telegram_id
        mine = [m for m in self.telegram.sent if m.chat_id == chat]
        for message in mine[self._seen.get(chat, 0):]:
            self._show(message)
        self._seen[chat] = len(mine)

    def _show(self, message: SentMessage) -> None:
        prefix = "bot (edited)" if message.edited else "bot"
        body = message.text
        if message.photo is not None:
            body = f"[photo, {len(message.photo) // 1024 + 1} KB] {body}"
        if message.document is not None:
            body = f"[file, {len(message.document) // 1024 + 1} KB] {body}"
        wrapped = "\n".join(
            textwrap.fill(paragraph, width=78, subsequent_indent="  ") if paragraph else ""
            for paragraph in body.split("\n")
        )
        self.write(f"{prefix}> {wrapped}")
        if message.buttons:
            self.last_with_buttons = message
            number = itertools.count(1)
            for row in message.buttons:
                self.write("   " + "   ".join(f"[:{next(number)}] {b['text']}" for b in row))

    async def close(self) -> None:
        await self.bot.session.close()


async def run_console(app: Application) -> None:
    console = await Console.open(app)
    console.write(console.banner())
    try:
        while True:
            prompt = f"{console.current.name}> " if console.current else "> "
            try:
                line = await asyncio.to_thread(input, prompt)
            except EOFError:
                console.write("")
                break
            if not await console.handle_line(line):
                break
    finally:
        await console.close()
