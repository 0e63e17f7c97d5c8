"""`scorebot console`: chat with the real dispatcher and handlers in a terminal, with no token
and no network. You pick who you are, type messages, send photos and voice notes, press the
buttons of any message on screen, act in group chats, and move time forward to watch what the
scheduler does (lesson waves, reminders, check-ins, escalations, digests, pulse surveys)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.app import Application
from bot.channels.response_types import keep_response_types
from bot.channels.whatsapp.ids import WA_CHAT_ID_BASE, chat_id_of, is_whatsapp_chat
from bot.channels.whatsapp.session import ChannelSession
from bot.channels.whatsapp.webhook import WhatsAppWebhook
from bot.clock import Clock
from bot.offline.demo import DEMO_INVITE_TOKEN
from bot.offline.session import InProcessSession
from bot.offline.telegram import Event, FakeTelegram, SentMessage
from bot.offline.whatsapp import InProcessCloud, WaSent
from bot.scheduling.due_work import run_due_work
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import virtual_limiter
from storage.models import (
    Enterprise,
    GroupChat,
    Membership,
    OutboxMessage,
    Person,
    ProcessedUpdate,
    WhatsAppContact,
)

HELP = """\
Console commands (everything else is sent to the bot as a message):
  :who              the people you can be, the groups, and the console's time
  :as N             become person N (back in your private chat with the bot)
  :new [LANG]       become a newcomer who has not joined yet (LANG: en, es, fr, vi, id, zh, hi, zu)
  :new LANG --whatsapp   a newcomer on WhatsApp: the bot's messages as WhatsApp shows them
  :N.K              press button K of message #N (any message on screen in your chats)
  :K                press button K of the latest message with buttons in this chat
  :press TEXT       press the newest button in this chat whose label has TEXT in it
  :reply N TEXT     answer message #N (in groups the bot reads only commands and replies)
  :photo [PATH] [CAPTION]   send a photo (a sample picture when no PATH is given)
  :voice            send a voice note
  :sticker          send a sticker
  :document PATH    send a file
  :group [NAME]     enter the group chat NAME (created, with the bot in it, if new); alone: list
  :add N [N ...]    add people to the group you are in
  :private          leave the group, back to your private chat with the bot
  :advance 3d|2h|30m  move time forward; scheduled work runs as it would have, hour by hour
  :at 2026-12-07 10:00 | :at monday 08:00   move time forward to then (your local time)
  :tick             run the scheduled work now
  :help             this text
  :quit             leave (Ctrl-D works too)"""

PRIVACY_NOTE = ("(The bot does not see this: in groups it reads only commands and replies to "
                "its own messages. Try /status, or :reply N TEXT.)")
SAMPLE_PHOTO = Path(__file__).with_name("sample-photo.png")
# A few bytes with the Ogg signature: the bot never listens to voice notes, it passes them on.
SAMPLE_VOICE = b"OggS\x00\x02" + bytes(58)
FIRST_GROUP_ID = -1_001_000_000_001
FIRST_NEWCOMER_ID = 900_001
# A WhatsApp newcomer's number: the calling code of a country where their language is spoken.
CALLING_CODES = {"en": "233", "es": "51", "fr": "225", "vi": "84", "id": "62", "zh": "86",
                 "hi": "91", "zu": "27"}
WHATSAPP_ONLY = "WhatsApp has no bot groups: consultants' group chats stay on Telegram."
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class OffsetClock:
    """The console's time: the real time plus an offset that only grows."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def travel_to(self, moment: datetime) -> None:
        self.offset = max(self.offset, moment - self.base.now())


@dataclass
class Persona:
    telegram_id: int
    name: str
    language_code: str | None
    about: str
    timezone: str | None = None
    wa_id: str | None = None  # on WhatsApp; telegram_id is then their chat id (0 until known)


@dataclass
class Group:
    chat_id: int
    title: str
    members: set[int] = field(default_factory=set)  # Telegram ids


def _extension(content: bytes, kind: str) -> str:
    signatures = ((b"\x89PNG", ".png"), (b"\xff\xd8", ".jpg"), (b"PK", ".xlsx"),
                  (b"OggS", ".ogg"), (b"%PDF", ".pdf"), (b"{", ".json"), (b"[", ".json"))
    return next((ext for magic, ext in signatures if content.startswith(magic)),
                ".ogg" if kind == "voice" else ".bin")


def _make_folder(folder: Path | None) -> None:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)


def _caption(caption: str) -> dict[str, Any]:
    """The caption field of a sent photo or file, when there is one."""
    return {"caption": caption} if caption else {}


def _read(name: str) -> tuple[Path, bytes] | None:
    """The file a person named, if there is one."""
    path = Path(name).expanduser()
    return (path, path.read_bytes()) if name and path.is_file() else None


def _clock_time(word: str) -> time | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", word)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _day(word: str) -> date | None:
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def _short_zone(name: str) -> str:
    return name.rsplit("/", 1)[-1].replace("_", " ")


class Console:
    """The terminal chat, separated from stdin/stdout so tests can drive it line by line."""

    def __init__(self, app: Application, telegram: FakeTelegram, bot: Bot,
                 write: Callable[[str], None] = print, files_dir: Path | None = None,
                 cloud: InProcessCloud | None = None) -> None:
        self.app = app
        self.telegram = telegram
        self.bot = bot
        # WhatsApp people: their messages go through the real adapter to an in-process
        # Cloud API (bot/offline/whatsapp.py).
        self.cloud = cloud or InProcessCloud()
        self.whatsapp = WhatsAppWebhook(
            dispatcher=app.dispatcher, bot=bot, app_secret="", verify_token="",
            session_factory=app.session_factory, clock=app.clock)
        self._wa_cursor = 0  # WhatsApp messages taken so far
        self._wa_unseen: list[int] = []
        self._wa_numbers = itertools.count(1)
        self.write = write
        self.files_dir = files_dir
        self.clock = app.clock if isinstance(app.clock, OffsetClock) else OffsetClock(app.clock)
        self.personas: list[Persona] = []
        self.current: Persona | None = None
        self.groups: dict[int, Group] = {}
        self.chat: int | None = None  # the group the current person acts in; None: private
        self._newcomer_ids = itertools.count(FIRST_NEWCOMER_ID)
        self._group_ids = itertools.count(FIRST_GROUP_ID, -1)
        self._numbers: dict[tuple[int, int], int] = {}  # (chat, message id) -> number on screen
        self._by_number: dict[int, tuple[int, int]] = {}
        self._files: dict[tuple[int, int], Path] = {}
        self._cursor = 0  # events of the fake Telegram taken so far
        self._unseen: list[tuple[int, Event]] = []  # (sequence, event) nobody has seen yet
        # Unseen events already announced in one line (WhatsApp messages as ("wa", index)).
        self._noticed: set[int | tuple[str, int]] = set()
        self._default_zone = "UTC"
        # Offline, nobody should wait for Telegram's limits: they run on a virtual clock.
        self.sender = OutboxSender(app.session_factory, bot, self.clock, virtual_limiter()[0])

    @classmethod
    async def open(cls, app: Application, write: Callable[[str], None] = print,
                   files_dir: Path | None = None) -> Console:
        clock = app.clock if isinstance(app.clock, OffsetClock) else OffsetClock(app.clock)
        # Handlers, jobs and the outbox all read this one clock.
        app.clock = clock
        app.dispatcher["clock"] = clock
        deps = app.dispatcher.workflow_data.get("deps")
        if deps is not None:
            app.dispatcher["deps"] = dataclasses.replace(deps, clock=clock)
        telegram = FakeTelegram(token="42:OFFLINE", username="scorebot_demo_bot")
        telegram.now = lambda: clock.now().timestamp()
        cloud = InProcessCloud()
        channels = ChannelSession(InProcessSession(telegram), cloud, app.session_factory, clock,
                                  app.i18n, app.settings.default_locale, telegram.username)
        bot = Bot(token=telegram.token, session=keep_response_types(channels),
                  default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        _make_folder(files_dir)
        console = cls(app, telegram, bot, write, files_dir, cloud)
        async with app.session_factory() as session:
            handled = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
            # Time moved forward in an earlier session goes on from where it was left.
            latest = await session.scalar(select(func.max(OutboxMessage.created_at)))
            highest = await session.scalar(select(func.max(Person.telegram_id)).where(
                Person.telegram_id < WA_CHAT_ID_BASE))
            numbers = await session.scalar(select(func.count()).select_from(WhatsAppContact))
            groups = (await session.scalars(select(GroupChat).order_by(GroupChat.id))).all()
            zone = await session.scalar(select(Enterprise.timezone).order_by(Enterprise.id))
        telegram.continue_update_ids(handled or 0)
        if latest is not None:
            clock.travel_to(latest.replace(tzinfo=latest.tzinfo or UTC))
        # Telegram ids are never handed out twice, across restarts too.
        console._newcomer_ids = itertools.count(max(FIRST_NEWCOMER_ID, (highest or 0) + 1))
        lowest = min([FIRST_GROUP_ID + 1, *(g.telegram_chat_id for g in groups)])
        console._group_ids = itertools.count(lowest - 1, -1)
        console._wa_numbers = itertools.count((numbers or 0) + 1)
        for group in groups:
            console._add_group(group.telegram_chat_id, group.title or f"Group {group.id}")
        console._default_zone = zone or "UTC"
        await console._load_personas()
        return console

    # People and groups ---------------------------------------------------------------------

    async def _people(self) -> list[Person]:
        async with self.app.session_factory() as session:
            return list((await session.scalars(
                select(Person).where(Person.forgotten_at.is_(None), Person.telegram_id > 0)
                .options(selectinload(Person.memberships).selectinload(Membership.enterprise))
                .order_by(Person.id)
            )).all())

    @staticmethod
    def _about(person: Person) -> tuple[str, str | None]:
        memberships = sorted(person.memberships, key=lambda m: m.id)
        about = ", ".join(sorted({m.role.value.replace("_", " ") for m in memberships}))
        zone = memberships[0].enterprise.timezone if memberships else None
        return about or "not joined", zone

    async def _wa_ids(self) -> dict[int, str]:
        """The WhatsApp id of each WhatsApp chat."""
        async with self.app.session_factory() as session:
            return {chat_id_of(contact_id): wa_id for contact_id, wa_id in await session.execute(
                select(WhatsAppContact.id, WhatsAppContact.wa_id))}

    async def _load_personas(self) -> None:
        wa_ids = await self._wa_ids()
        for person in await self._people():
            about, zone = self._about(person)
            self._add_persona(Persona(person.telegram_id, person.display_name,
                                      person.telegram_language, about, zone,
                                      wa_ids.get(person.telegram_id)))

    async def _refresh_personas(self) -> None:
        """Roles and places change as people join, leave or are forgotten."""
        people = {p.telegram_id: p for p in await self._people()}
        known = {p.telegram_id for p in self.personas}
        for persona in self.personas:
            person = people.get(persona.telegram_id)
            if person is None:
                persona.about = "not joined" if persona.about != "newcomer" else "newcomer"
            else:
                persona.about, persona.timezone = self._about(person)
        wa_ids = await self._wa_ids() if any(map(is_whatsapp_chat, people)) else {}
        for telegram_id, person in people.items():
            if telegram_id not in known:
                about, zone = self._about(person)
                self._add_persona(Persona(telegram_id, person.display_name,
                                          person.telegram_language, about, zone,
                                          wa_ids.get(telegram_id)))

    def _add_persona(self, persona: Persona) -> Persona:
        self.personas.append(persona)
        if persona.wa_id is not None:
            return persona
        first, _, last = persona.name.partition(" ")
        self.telegram.add_user(persona.telegram_id, first or persona.name,
                               persona.language_code, last or None)
        return persona

    def _add_group(self, chat_id: int, title: str) -> Group:
        self.telegram.add_group(chat_id, title)
        group = self.groups[chat_id] = Group(chat_id, title)
        return group

    def _name_of(self, chat_id: int) -> str:
        if chat_id in self.groups:
            return f"group {self.groups[chat_id].title}"
        persona = next((p for p in self.personas if p.telegram_id == chat_id), None)
        return persona.name if persona else f"chat {chat_id}"

    def _zone(self, chat_id: int | None = None) -> str:
        persona = self.current if chat_id is None else next(
            (p for p in self.personas if p.telegram_id == chat_id), None)
        return (persona.timezone if persona and persona.timezone else None) or self._default_zone

    def _local(self, moment: datetime, zone: str, *, year: bool = False) -> str:
        local = moment.astimezone(ZoneInfo(zone))
        return local.strftime("%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M") + (
            f" {_short_zone(zone)}")

    def banner(self) -> str:
        lines = ["scorebot console: the real bot, offline. Type :help for console commands.", ""]
        lines.append(self._who())
        lines += ["", f"To join as a newcomer: type :new, then /start {DEMO_INVITE_TOKEN}"]
        if self.files_dir is not None:
            lines.append(f"Files the bot sends (charts, workbooks, QR codes) are written to "
                         f"{self.files_dir}/")
        return "\n".join(lines)

    def _who(self) -> str:
        minutes = round(self.clock.offset.total_seconds() / 60)
        when = self._local(self.clock.now(), self._zone(), year=True)
        if minutes >= 1:
            days, hours = minutes // 1440, minutes % 1440 // 60
            when += f" ({days} d {hours} h {minutes % 60} min ahead of the real time)"
        lines = [f"Console time: {when}"]
        if not self.personas:
            lines.append("Nobody has started the bot yet: type :new to be a newcomer.")
        else:
            lines.append("People:")
            lines += [
                f"  {index}. {p.name} ({p.about}, {p.language_code or '-'}"
                + (", WhatsApp)" if p.wa_id else ")")
                + ("  <- you" if p is self.current else "")
                for index, p in enumerate(self.personas, start=1)
            ]
        if self.groups:
            lines.append("Groups: " + ", ".join(
                g.title + (" <- here" if g.chat_id == self.chat else "")
                for g in self.groups.values()))
        return "\n".join(lines)

    # Typed lines ---------------------------------------------------------------------------

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
        if self.current.wa_id is not None:
            await self._wa_send({"type": "text", "text": {"body": line}})
            return True
        if self.chat is not None and not line.startswith("/"):
            self.write(PRIVACY_NOTE)
            return True
        await self._send(text=line)
        return True

    async def _console_command(self, command: str) -> bool:
        word, _, rest = command.partition(" ")
        rest = rest.strip()
        if word in {"quit", "exit", "q"}:
            return False
        if re.fullmatch(r"\d+(\.\d+)?", word):
            await self._press(word)
        elif word in {"who", "help", "as", "new", "tick", "advance", "at", "group", "press"}:
            await getattr(self, f"_c_{word}")(rest)
        elif word in {"photo", "voice", "sticker", "document", "reply", "add", "private"}:
            if self.current is None:
                self.write("Pick who you are first: :as N (see :who), or :new")
            elif self.current.wa_id is not None and word in {"reply", "add", "private"}:
                self.write(WHATSAPP_ONLY)
            else:
                await getattr(self, f"_c_{word}")(rest)
        else:
            self.write(f"Unknown console command :{word}. Type :help.")
        return True

    async def _c_help(self, rest: str) -> None:
        self.write(HELP)

    async def _c_who(self, rest: str) -> None:
        await self._refresh_personas()
        self.write(self._who())

    async def _c_as(self, ref: str) -> None:
        if not ref.isdigit() or not 1 <= int(ref) <= len(self.personas):
            self.write(f"Choose a number from 1 to {len(self.personas)}: :as N")
            return
        self.current = self.personas[int(ref) - 1]
        self.chat = None
        await self._refresh_personas()
        self.write(f"You are now {self.current.name} ({self.current.about}).")
        self._show_unseen()

    async def _c_new(self, rest: str) -> None:
        words = rest.split()
        if "--whatsapp" in words:
            words.remove("--whatsapp")
            await self._new_on_whatsapp(words[0] if words else "en")
            return
        language = rest or "en"
        persona = self._add_persona(Persona(next(self._newcomer_ids),
                                            f"Newcomer {len(self.personas) + 1}", language,
                                            "newcomer"))
        self.current, self.chat = persona, None
        self.write(f"You are now {persona.name} (Telegram language {language}).")

    async def _new_on_whatsapp(self, language: str) -> None:
        code = CALLING_CODES.get(language.split("_")[0].lower(), "233")
        taken = set((await self._wa_ids()).values()) | {p.wa_id for p in self.personas}
        wa_id = f"{code}{7_000_000_00 + next(self._wa_numbers)}"
        while wa_id in taken:  # a number is never handed out twice, across restarts too
            wa_id = f"{code}{7_000_000_00 + next(self._wa_numbers)}"
        persona = self._add_persona(Persona(0, f"Newcomer {len(self.personas) + 1}", None,
                                            "newcomer", wa_id=wa_id))
        self.current, self.chat = persona, None
        self.write(f"You are now {persona.name}, on WhatsApp (+{wa_id}). WhatsApp does not "
                   "tell the bot your language: /language sets it. Join with JOIN <token> or "
                   "/start <token>; answer a numbered menu with its number.")

    async def _c_tick(self, rest: str) -> None:
        await self._run_scheduled(self.clock.now())

    # Time travel ---------------------------------------------------------------------------

    async def _c_advance(self, rest: str) -> None:
        parts = re.findall(r"(\d+)\s*([dhm])", rest.lower())
        if not parts or re.sub(r"[\d\sdhm]", "", rest.lower()):
            self.write("Say how far: :advance 3d, :advance 2h, :advance 1d 6h, :advance 30m")
            return
        unit = {"d": "days", "h": "hours", "m": "minutes"}
        delta = sum((timedelta(**{unit[u]: int(n)}) for n, u in parts), timedelta(0))
        if delta > timedelta(days=120):
            self.write("At most 120 days at a time.")
            return
        await self._travel(self.clock.now() + delta)

    async def _c_at(self, rest: str) -> None:
        zone = ZoneInfo(self._zone())
        now = self.clock.now().astimezone(zone)
        words = rest.lower().split()
        clock_time = _clock_time(words[-1]) if words else None
        target: datetime | None = None
        if clock_time is not None and len(words) == 2 and words[0] in WEEKDAYS:
            days = (WEEKDAYS.index(words[0]) - now.weekday()) % 7 or 7
            target = datetime.combine(now.date() + timedelta(days=days), clock_time, zone)
        elif clock_time is not None and len(words) == 1:
            target = datetime.combine(now.date(), clock_time, zone)
            if target <= now:
                target += timedelta(days=1)
        elif clock_time is not None and len(words) == 2 and (day := _day(words[0])):
            target = datetime.combine(day, clock_time, zone)
        if target is None:
            self.write("Say when: :at 2026-12-07 10:00, :at monday 08:00, or :at 17:30 "
                       f"(times in {self._zone()}).")
            return
        if target <= now:
            self.write(f"That is in the console's past (it is {self._local(now, self._zone())}):"
                       " time only moves forward here.")
            return
        if target - now > timedelta(days=120):
            self.write("At most 120 days at a time.")
            return
        await self._travel(target)

    async def _travel(self, target: datetime) -> None:
        """Move the clock to `target` an hour at a time, running what the scheduler would
        have run, and show what arrives when it arrives."""
        now = self.clock.now()
        self._take_events()
        self._noticed.update(sequence for sequence, _ in self._unseen)  # sent before
        moment = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while moment < target:
            await self._run_scheduled(moment)
            moment += timedelta(hours=1)
        await self._run_scheduled(target)
        self.write(f"It is now {self._local(self.clock.now(), self._zone(), year=True)}.")

    async def _run_scheduled(self, moment: datetime) -> None:
        self.clock.travel_to(moment)
        await run_due_work(self.app.jobs)
        await self._flush_outbox()
        self._show_unseen(at=moment)

    # Chats: groups, media, replies -------------------------------------------------------

    async def _c_group(self, rest: str) -> None:
        if not rest:
            self.write("Groups: " + (", ".join(g.title for g in self.groups.values()) or "none yet")
                       + ". :group NAME enters one (and creates it when new).")
            return
        if self.current is None:
            self.write("Pick who you are first: :as N (see :who), or :new")
            return
        if self.current.wa_id is not None:
            self.write(WHATSAPP_ONLY)
            return
        group = next((g for g in self.groups.values() if g.title.lower() == rest.lower()), None)
        if group is None:
            group = self._add_group(next(self._group_ids), rest)
            group.members.add(self.current.telegram_id)
            self.write(f"{self.current.name} created the group {rest} and added the bot. "
                       "Add people with :add N.")
            self.chat = group.chat_id
            await self._deliver(self.telegram.bot_added_update(self.current.telegram_id,
                                                               group.chat_id))
            return
        group.members.add(self.current.telegram_id)
        self.chat = group.chat_id
        self.write(f"{self.current.name} is in the group {group.title}. :private to leave it.")
        self._show_unseen()

    async def _c_add(self, rest: str) -> None:
        group = self.groups.get(self.chat) if self.chat is not None else None
        if group is None:
            self.write("Enter a group first: :group NAME")
            return
        refs = rest.split()
        if not refs or not all(r.isdigit() and 1 <= int(r) <= len(self.personas) for r in refs):
            self.write(f"Add people by their numbers in :who, e.g. :add 2 6 (1 to "
                       f"{len(self.personas)}).")
            return
        names = []
        for ref in refs:
            persona = self.personas[int(ref) - 1]
            group.members.add(persona.telegram_id)
            names.append(persona.name)
        self.write(f"Added to {group.title}: {', '.join(names)}.")

    async def _c_private(self, rest: str) -> None:
        self.chat = None
        assert self.current is not None
        self.write(f"{self.current.name}, in the private chat with the bot.")
        self._show_unseen()

    async def _c_reply(self, rest: str) -> None:
        ref, _, text = rest.partition(" ")
        target = self._message_by_number(ref)
        if target is None or not text.strip():
            self.write("Reply with :reply N TEXT (N: a message number, as in bot #N>).")
            return
        if target.chat_id != self._chat_id():
            self.write(f"Message #{ref} is not in this chat.")
            return
        await self._send(text=text.strip(),
                         reply_to_message=self.telegram.message_json(target), privacy_ok=True)

    async def _c_photo(self, rest: str) -> None:
        first, _, caption = rest.partition(" ")
        found = _read(first)
        if found is None:
            if first and " " not in rest and (first.startswith(("/", "./", "~")) or re.search(
                    r"\.(png|jpe?g|gif|webp)$", first.lower())):
                self.write(f"No such file: {first}")
                return
            found, caption = _read(str(SAMPLE_PHOTO)), rest
        assert found is not None
        path, content = found
        if self._on_whatsapp():
            self.write(f"(you send the photo {path.name})")
            image: dict[str, Any] = {"id": self.cloud.keep(content), "mime_type": "image/png"}
            if caption:
                image["caption"] = caption
            await self._wa_send({"type": "image", "image": image})
            return
        file_id = self.telegram.upload("photo", content)
        size = {"file_id": file_id, "file_unique_id": file_id, "width": 96, "height": 64}
        self.write(f"(you send the photo {path.name})")
        await self._send(photo=[size], **_caption(caption))

    async def _c_voice(self, rest: str) -> None:
        if self._on_whatsapp():
            self.write("(you send a voice note, 4 seconds)")
            await self._wa_send({"type": "audio", "audio": {
                "id": self.cloud.keep(SAMPLE_VOICE), "mime_type": "audio/ogg", "voice": True}})
            return
        file_id = self.telegram.upload("voice", SAMPLE_VOICE)
        self.write("(you send a voice note, 4 seconds)")
        await self._send(voice={"file_id": file_id, "file_unique_id": file_id, "duration": 4,
                                "mime_type": "audio/ogg"})

    async def _c_sticker(self, rest: str) -> None:
        if self._on_whatsapp():
            self.write("(you send a sticker 👍)")
            await self._wa_send({"type": "sticker", "sticker": {
                "id": self.cloud.keep(b"RIFF-sticker"), "mime_type": "image/webp"}})
            return
        file_id = self.telegram.upload("sticker", b"RIFF-sticker")
        self.write("(you send a sticker 👍)")
        await self._send(sticker={"file_id": file_id, "file_unique_id": file_id,
                                  "type": "regular", "width": 512, "height": 512,
                                  "is_animated": False, "is_video": False, "emoji": "👍"})

    async def _c_document(self, rest: str) -> None:
        first, _, caption = rest.partition(" ")
        found = _read(first)
        if found is None:
            self.write(f"No such file: {first}" if first
                       else "Send a file with :document PATH (an existing file).")
            return
        path, content = found
        if self._on_whatsapp():
            self.write(f"(you send the file {path.name})")
            document: dict[str, Any] = {"id": self.cloud.keep(content), "filename": path.name}
            if caption:
                document["caption"] = caption
            await self._wa_send({"type": "document", "document": document})
            return
        file_id = self.telegram.upload("document", content)
        self.write(f"(you send the file {path.name})")
        await self._send(document={"file_id": file_id, "file_unique_id": file_id,
                                   "file_name": path.name},
                         **_caption(caption))

    def _on_whatsapp(self) -> bool:
        return self.current is not None and self.current.wa_id is not None

    async def _wa_send(self, message: dict[str, Any]) -> None:
        """The current WhatsApp person sends `message` (a Cloud API message), handled by the
        webhook's own code as if Meta had posted it."""
        assert self.current is not None and self.current.wa_id is not None
        item = {"from": self.current.wa_id, "id": self.cloud.new_wamid(),
                "timestamp": str(int(self.clock.now().timestamp())), **message}
        await self.whatsapp.handle(item, self.current.name.split(" ")[0])
        async with self.app.session_factory() as session:
            contact_id = await session.scalar(select(WhatsAppContact.id).where(
                WhatsAppContact.wa_id == self.current.wa_id))
        if contact_id is not None:  # joined: their chat id is known from now on
            self.current.telegram_id = chat_id_of(contact_id)
        await self._flush_outbox()
        self._show_unseen()

    def _chat_id(self) -> int:
        assert self.current is not None
        return self.chat if self.chat is not None else self.current.telegram_id

    async def _send(self, text: str | None = None, *, privacy_ok: bool = False,
                    **content: Any) -> None:
        assert self.current is not None
        if self.chat is not None and not privacy_ok and not (text or "").startswith("/"):
            self.write(PRIVACY_NOTE)
            return
        update = self.telegram.message_update(self.current.telegram_id, text,
                                              chat_id=self.chat, **content)
        await self._deliver(update)

    # Buttons ---------------------------------------------------------------------------

    def _message_by_number(self, ref: str) -> SentMessage | None:
        if not ref.isdigit() or int(ref) not in self._by_number:
            return None
        return self.telegram.message(*self._by_number[int(ref)])

    def _can_see(self, chat_id: int) -> bool:
        assert self.current is not None
        if chat_id == self.current.telegram_id:
            return True
        group = self.groups.get(chat_id)
        return group is not None and self.current.telegram_id in group.members

    @property
    def last_with_buttons(self) -> SentMessage | None:
        """The newest message with buttons in the chat the current person is in, as it is now."""
        if self.current is None:
            return None
        chat = self._chat_id()
        for sent in reversed(self.telegram.sent):
            message = self.telegram.message(chat, sent.message_id) if (
                sent.chat_id == chat) else None
            if message is not None and message.buttons:
                return message
        return None

    async def _c_press(self, label: str) -> None:
        if self.current is None or not label:
            self.write("Press a button by its label: :press TEXT (as who? :as N)")
            return
        if self.current.wa_id is not None:
            for index in reversed(range(len(self.cloud.sent))):
                sent = self.cloud.sent[index]
                titles = [title for title, _ in sent.choices()] if (
                    sent.to == self.current.wa_id) else []
                found = next((k for k, t in enumerate(titles, 1) if label.lower() in t.lower()),
                             None)
                if found is not None:
                    number = self._numbers[(0, index)]
                    self.write(f"(pressed [:{number}.{found}] {titles[found - 1]})")
                    await self._wa_press(sent, found)
                    return
            self.write(f"No button with “{label}” in this chat.")
            return
        chat = self._chat_id()
        for shown in reversed(self.telegram.sent):
            message = self.telegram.message(chat, shown.message_id) if (
                shown.chat_id == chat) else None
            if message is None:
                continue
            flat = [b for row in message.buttons for b in row]
            position = next((i for i, b in enumerate(flat, start=1)
                             if label.lower() in b["text"].lower()), None)
            if position is not None:
                on_screen = self._numbers.get((chat, message.message_id))
                self.write(f"(pressed [:{on_screen}.{position}] {flat[position - 1]['text']})")
                await self._press(f"{on_screen}.{position}")
                return
        self.write(f"No button with “{label}” in this chat.")

    async def _press(self, ref: str) -> None:
        if self.current is None:
            self.write("Pick who you are first: :as N (see :who), or :new")
            return
        number, _, button = ref.partition(".")
        if self.current.wa_id is not None:
            await self._wa_press_ref(int(number), int(button) if button else None)
            return
        if button:
            key = self._by_number.get(int(number))
            if key is None:
                self.write(f"There is no message #{number} on screen.")
                return
            message = self.telegram.message(*key)
            if message is None:
                self.write(f"Message #{number} was deleted.")
                return
            if not self._can_see(message.chat_id):
                group = self.groups.get(message.chat_id)
                self.write(f"Message #{number} is in the group {group.title}: be in the group "
                           f"first (:add N there, or :group {group.title})." if group else
                           f"Message #{number} is in {self._name_of(message.chat_id)}'s "
                           "private chat: be them first (:as N).")
                return
            index = int(button)
        else:
            message = self.last_with_buttons
            index = int(number)
            if message is None:
                self.write("There is no message with buttons to press.")
                return
        flat = [b for row in message.buttons for b in row]
        if not flat:
            self.write("That message has no buttons (any more).")
            return
        if not 1 <= index <= len(flat):
            self.write(f"Choose a button from 1 to {len(flat)}.")
            return
        data = flat[index - 1].get("callback_data")
        if data is None:
            self.write("That button opens a link; the console cannot follow it.")
            return
        await self._deliver(self.telegram.callback_update(self.current.telegram_id, message,
                                                          data))

    async def _wa_press_ref(self, number: int, button: int | None) -> None:
        assert self.current is not None
        if button is None:
            button = number
            index = next((i for i in reversed(range(len(self.cloud.sent)))
                          if self.cloud.sent[i].to == self.current.wa_id
                          and self.cloud.sent[i].choices()), None)
            if index is None:
                self.write("There is no message with buttons to press. (A numbered menu is "
                           "answered by typing its number.)")
                return
        else:
            key = self._by_number.get(number)
            if key is None:
                self.write(f"There is no message #{number} on screen.")
                return
            index = key[1] if key[0] == 0 else -1
            if index < 0 or self.cloud.sent[index].to != self.current.wa_id:
                self.write(f"Message #{number} is not in your WhatsApp chat.")
                return
        sent = self.cloud.sent[index]
        if not 1 <= button <= len(sent.choices()):
            self.write(f"Choose a button from 1 to {len(sent.choices())}." if sent.choices()
                       else "That message has no buttons. (A numbered menu is answered by "
                            "typing its number.)")
            return
        await self._wa_press(sent, button)

    async def _wa_press(self, sent: WaSent, button: int) -> None:
        """Press a reply button, pick a list row or tap a template's button, as WhatsApp
        reports it."""
        title, data = sent.choices()[button - 1]
        context = {"from": "console", "id": sent.wamid}
        if sent.kind == "template":
            await self._wa_send({"type": "button", "context": context,
                                 "button": {"payload": data, "text": title}})
            return
        reply = "button_reply" if sent.body["interactive"]["type"] == "button" else "list_reply"
        await self._wa_send({"type": "interactive", "context": context, "interactive": {
            "type": reply, reply: {"id": data, "title": title}}})

    # What the bot does -----------------------------------------------------------------

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self.current is not None
        await self.app.dispatcher.feed_raw_update(self.bot, update)
        # Messages the bot sends on its own (to this person or others) go out at once here.
        await self._flush_outbox()
        self._show_unseen()

    async def _flush_outbox(self) -> None:
        while await self.sender.send_pending():
            pass

    def _take_events(self) -> None:
        """Number the new messages and write the files they carry."""
        events = self.telegram.events
        for sequence in range(self._cursor, len(events)):
            event = events[sequence]
            if event.kind in {"message", "edit"}:
                key = (event.chat_id, event.message_id or 0)
                if key not in self._numbers:
                    self._numbers[key] = len(self._numbers) + 1
                    self._by_number[self._numbers[key]] = key
                    self._save_file(key, event.message)
            self._unseen.append((sequence, event))
        self._cursor = len(events)
        for index in range(self._wa_cursor, len(self.cloud.sent)):
            key = (0, index)  # chat 0 is nobody's on Telegram: WhatsApp messages, in order
            self._numbers[key] = len(self._numbers) + 1
            self._by_number[self._numbers[key]] = key
            self._save_wa_file(key, self.cloud.sent[index])
            self._wa_unseen.append(index)
        self._wa_cursor = len(self.cloud.sent)

    def _save_wa_file(self, key: tuple[int, int], sent: WaSent) -> None:
        medium = sent.body.get(sent.kind) or {}
        if self.files_dir is None or sent.kind not in {"image", "audio", "document"}:
            return
        content = self.cloud.media.get(str(medium.get("id")))
        if content is None:
            return
        name = medium.get("filename") or f"{sent.kind}{_extension(content, sent.kind)}"
        path = self.files_dir / f"{self._numbers[key]:04d}-{name}"
        path.write_bytes(content)
        self._files[key] = path

    def _save_file(self, key: tuple[int, int], message: SentMessage | None) -> None:
        if self.files_dir is None or message is None or message.content is None:
            return
        kind = "photo" if message.photo is not None else (
            "voice" if message.voice is not None else "document")
        number = self._numbers[key]
        name = message.filename or f"{kind}{_extension(message.content, kind)}"
        path = self.files_dir / f"{number:04d}-{name}"
        path.write_bytes(message.content)
        self._files[key] = path

    def _show_unseen(self, at: datetime | None = None) -> None:
        """Show the current person what happened in their chats since they last looked; with
        `at` (time moving), announce in one line what reached everyone else."""
        self._take_events()
        if self.current is None:
            return
        kept: list[tuple[int, Event]] = []
        others: dict[str, list[int]] = {}
        for sequence, event in self._unseen:
            if self._can_see(event.chat_id):
                self._show(event, at)
                continue
            kept.append((sequence, event))
            if at is not None and sequence not in self._noticed and event.kind == "message":
                self._noticed.add(sequence)
                first = (event.message.text if event.message else "").split("\n", 1)[0]
                others.setdefault(first, []).append(event.chat_id)
        self._unseen = kept
        waiting: list[int] = []
        for index in self._wa_unseen:
            sent = self.cloud.sent[index]
            if sent.to == self.current.wa_id:
                self._show_wa(index, at)
                continue
            waiting.append(index)
            if at is not None and ("wa", index) not in self._noticed:
                self._noticed.add(("wa", index))
                first = sent.text().split("\n", 1)[0]
                others.setdefault(first, []).append(self._wa_chat(sent.to))
        self._wa_unseen = waiting
        if at is not None:
            for first, chats in others.items():
                names = [self._name_of(c) for c in dict.fromkeys(chats)]
                who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3
                                              else "")
                line = textwrap.shorten(first, width=60, placeholder="…") if first else "[file]"
                self.write(f"  {self._local(at, self._zone(chats[0]))} → {who}: {line}")

    def _show(self, event: Event, at: datetime | None) -> None:
        where = f"[{self.groups[event.chat_id].title}] " if event.chat_id in self.groups else ""
        number = self._numbers.get((event.chat_id, event.message_id or 0))
        if event.kind == "answer":
            self.write(f"{where}bot {'alert' if event.alert else 'toast'}> {event.text}")
            return
        if event.kind == "delete":
            self.write(f"{where}bot deleted #{number}")
            return
        message = event.message
        assert message is not None
        when = f" ({self._local(at, self._zone(event.chat_id))})" if at is not None else ""
        head = (f"{where}bot #{number} edited:" if event.kind == "edit"
                else f"{where}bot #{number}{when}>")
        if message.content is not None and event.kind == "message":
            kind = "photo" if message.photo is not None else (
                "voice note" if message.voice is not None else "file")
            path = self._files.get((event.chat_id, message.message_id))
            # The file's path is never wrapped, so it can be copied (or clicked) whole.
            head += f" [{kind}: {path}]" if path else (
                f" [{kind}, {len(message.content) // 1024 + 1} KB]")
        wrapped = "\n".join(
            textwrap.fill(paragraph, width=78, subsequent_indent="  ") if paragraph else ""
            for paragraph in message.text.split("\n")
        )
        self.write(f"{head} {wrapped}".rstrip())
        if message.buttons:
            index = itertools.count(1)
            for row in message.buttons:
                self.write("   " + "   ".join(
                    f"[:{number}.{next(index)}] {b['text']}" + ("" if "callback_data" in b
                                                               else " ↗")
                    for b in row))

    def _wa_chat(self, wa_id: str) -> int:
        persona = next((p for p in self.personas if p.wa_id == wa_id), None)
        return persona.telegram_id if persona else 0

    def _show_wa(self, index: int, at: datetime | None) -> None:
        """A WhatsApp message as the phone shows it: *bold* and _italic_ as sent, reply
        buttons on a line, a list's rows under its button, a template with its button."""
        sent = self.cloud.sent[index]
        number = self._numbers[(0, index)]
        when = f" ({self._local(at, self._zone(self._wa_chat(sent.to)))})" if at else ""
        label = "WhatsApp template" if sent.kind == "template" else "WhatsApp"
        head = f"bot #{number}{when} [{label}]>"
        if sent.kind in {"image", "audio", "document"}:
            kind = {"image": "photo", "audio": "voice note", "document": "file"}[sent.kind]
            path = self._files.get((0, index))
            head += f" [{kind}: {path}]" if path else f" [{kind}]"
        wrapped = "\n".join(
            textwrap.fill(paragraph, width=78, subsequent_indent="  ") if paragraph else ""
            for paragraph in sent.text().split("\n"))
        self.write(f"{head} {wrapped}".rstrip())
        choices = sent.choices()
        if not choices:
            return
        button = sent.list_button()
        if button is None:
            self.write("   " + "   ".join(f"[:{number}.{k}] {title}"
                                          for k, (title, _) in enumerate(choices, 1)))
            return
        self.write(f"   ≡ {button}")
        for k, (title, _) in enumerate(choices, 1):
            self.write(f"     [:{number}.{k}] {title}")

    async def close(self) -> None:
        await self.bot.session.close()


async def run_console(app: Application, files_dir: Path | None = None) -> None:
    console = await Console.open(app, files_dir=files_dir)
    console.write(console.banner())
    try:
        while True:
            prompt = f"{console.current.name}> " if console.current else "> "
            if console.chat is not None and console.current is not None:
                prompt = f"{console.current.name} in {console.groups[console.chat].title}> "
            try:
                line = await asyncio.to_thread(input, prompt)
            except EOFError:
                console.write("")
                break
            if not await console.handle_line(line):
                break
    finally:
        await console.close()
