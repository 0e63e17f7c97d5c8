"""Conversations with the real bot over real HTTP, for end-to-end tests.

    async with BotUnderTest(database_url) as tg:
        ama = tg.person("Ama", "en")
        replies = await tg.send(ama, "/start TOKEN")
        await tg.press(ama, replies[-1], "Español")

The bot polls the fake Bot API with handle_as_tasks=False, so when it asks for updates past
one, it has finished handling it: `send` and `press` return the replies that update caused.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiohttp import web

from bot.app import Application, build_application, build_bot, whatsapp_webhook
from bot.clock import FakeClock
from bot.config import Settings
from bot.offline.telegram import FakeTelegram, SentMessage
from bot.scheduling.due_work import run_due_work
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import virtual_limiter
from bot.services.anonymity import release_hour
from storage.models import Enterprise, Role, Team
from tests.fakes import whatsapp_cloud as wa_cloud
from tests.fakes.bot_api_server import FakeBotApiServer
from tests.fakes.whatsapp_cloud import FakeWhatsApp, WaUser

TOKEN = "123456:TEST-token"


@dataclass(frozen=True)
class TgUser:
    id: int
    name: str
    language_code: str | None


class BotUnderTest:
    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str | None = None,
        clock: FakeClock | None = None,
        whatsapp: bool = False,
        **settings: Any,
    ) -> None:
        self.telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
        self.server = FakeBotApiServer(self.telegram)
        self.clock = clock or FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        self._database_url = database_url
        self._redis_url = redis_url
        self._settings = settings
        self._ids = itertools.count(5001)
        self.app: Application
        self.bot: Bot
        self._polling: asyncio.Task[None] | None = None
        # With whatsapp=True, people may also be on WhatsApp (a fake Cloud API, `self.wa`).
        self.wa: FakeWhatsApp | None = FakeWhatsApp(self.clock) if whatsapp else None
        self._wa_runner: web.AppRunner | None = None

    async def __aenter__(self) -> BotUnderTest:
        base_url = await self.server.start()
        if self.wa is not None:
            self._settings.update(
                whatsapp_token=wa_cloud.TOKEN, whatsapp_phone_number_id=wa_cloud.PHONE_NUMBER_ID,
                whatsapp_app_secret=wa_cloud.APP_SECRET,
                whatsapp_verify_token=wa_cloud.VERIFY_TOKEN,
                whatsapp_api_base=await self.wa.start(), whatsapp_number="15550001")
        self.settings = Settings(
            bot_token=TOKEN,
            database_url=self._database_url,
            redis_url=self._redis_url,
            telegram_api_base=base_url,
            **self._settings,
        )
        self.app = await build_application(self.settings, clock=self.clock)
        await self._build_bot()
        # Telegram's limits are applied on a virtual clock: checked, but nobody waits.
        limiter, self.send_time = virtual_limiter()
        self.sender = OutboxSender(self.app.session_factory, self.bot, self.clock, limiter)
        return self

    async def _build_bot(self) -> None:
        self.bot = build_bot(self.settings, app=self.app)
        if self.wa is None:
            return
        if self._wa_runner is not None:
            await self._wa_runner.cleanup()
        web_app = web.Application()
        whatsapp_webhook(self.app, self.bot).register(web_app,
                                                      self.settings.whatsapp_webhook_path)
        self._wa_runner = web.AppRunner(web_app, access_log=None)
        await self._wa_runner.setup()
        site = web.TCPSite(self._wa_runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.wa.webhook_url = f"http://127.0.0.1:{port}{self.settings.whatsapp_webhook_path}"

    def start_polling(self) -> None:
        self._polling = asyncio.create_task(
            self.app.dispatcher.start_polling(
                self.bot, handle_as_tasks=False, handle_signals=False, polling_timeout=5
            )
        )

    async def _stop_bot(self) -> None:
        if self._polling is not None:
            stopping = asyncio.create_task(self.app.dispatcher.stop_polling())
            await self.telegram.release_pollers()
            await stopping
            await asyncio.wait_for(self._polling, 10)
            self._polling = None
        await self.bot.session.close()
        await self.app.close()

    async def restart(self) -> None:
        """Stop the bot process and start a new one on the same database and Telegram:
        nothing in memory survives, as after a crash or a deploy."""
        await self._stop_bot()
        self.telegram.closing = False
        self.app = await build_application(self.settings, clock=self.clock)
        await self._build_bot()
        limiter, self.send_time = virtual_limiter()
        self.sender = OutboxSender(self.app.session_factory, self.bot, self.clock, limiter)

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stop_bot()
        await self.server.stop()
        if self._wa_runner is not None:
            await self._wa_runner.cleanup()
        if self.wa is not None:
            await self.wa.stop()

    # People and conversations --------------------------------------------------------------

    def person(
        self, name: str, language_code: str | None = "en", user_id: int | None = None
    ) -> TgUser:
        user = TgUser(user_id or next(self._ids), name, language_code)
        self.telegram.add_user(user.id, name, language_code)
        return user

    async def deliver(self, update: dict[str, Any], chat_id: int) -> list[SentMessage]:
        """Hand one update to the bot and return what it sent to `chat_id` meanwhile."""
        if self._polling is None:
            self.start_polling()
        before = len(self.telegram.sent)
        await self.telegram.enqueue(update)
        await self.telegram.wait_confirmed(update["update_id"])
        return [m for m in self.telegram.sent[before:] if m.chat_id == chat_id]

    async def send(self, user: TgUser, text: str | None = None, **content: Any) -> list[
        SentMessage
    ]:
        return await self.deliver(self.telegram.message_update(user.id, text, **content),
                                  user.id)

    async def send_in_group(self, user: TgUser, group_id: int, text: str) -> list[SentMessage]:
        """A message from `user` in a group chat; returns what the bot sent to the group."""
        return await self.deliver(
            self.telegram.message_update(user.id, text, chat_id=group_id), group_id)

    async def press(
        self, user: TgUser, message: SentMessage, button: str | int
    ) -> list[SentMessage]:
        data = message.button(button)["callback_data"]
        return await self.press_data(user, message, data)

    async def press_data(self, user: TgUser, message: SentMessage, data: str) -> list[
        SentMessage
    ]:
        """Press a button with any data at all: this is how a forged button is sent."""
        return await self.deliver(self.telegram.callback_update(user.id, message, data),
                                  message.chat_id)

    async def run_scheduled(self) -> list[SentMessage]:
        """One scan for due work, then one outbox run: what the scheduler does each minute.
        Returns the messages that reached Telegram."""
        before = len(self.telegram.sent)
        await run_due_work(self.app.jobs)
        while await self.sender.send_pending():
            pass
        return self.telegram.sent[before:]

    def callback_answers(self) -> list[dict[str, Any]]:
        return [c.params for c in self.telegram.calls_of("answerCallbackQuery")]

    # The test vocabulary: what a test says a person does -----------------------------------

    async def join(
        self, name: str, role: Role = Role.WORKER, team: Team | None = None,
        language: str | None = "en", *, enterprise: Enterprise | None = None,
    ) -> TgUser:
        """A new person who opens an invite link for `role` (in `team`; enterprise-wide roles
        need only `enterprise`) and so joins; returns them."""
        from tests.factories import invite

        place = enterprise
        if place is None:
            assert team is not None, "a person joins a team or an enterprise"
            async with self.app.session_factory() as session:
                place = await session.get(Enterprise, team.enterprise_id)
        assert place is not None
        token = (await invite(self.app.session_factory, place,
                              team if role in (Role.WORKER, Role.TEAM_LEAD) else None,
                              role, self.clock)).token
        person = self.person(name, language)
        await self.send(person, f"/start {token}")
        return person

    async def wa_join(
        self, name: str, role: Role = Role.WORKER, team: Team | None = None, *,
        enterprise: Enterprise | None = None, wa_id: str | None = None,
    ) -> WaUser:
        """join(), for a person on WhatsApp: they send "JOIN <token>"."""
        from tests.factories import invite

        assert self.wa is not None, "BotUnderTest(..., whatsapp=True)"
        place = enterprise
        if place is None:
            assert team is not None
            async with self.app.session_factory() as session:
                place = await session.get(Enterprise, team.enterprise_id)
        assert place is not None
        token = (await invite(self.app.session_factory, place,
                              team if role in (Role.WORKER, Role.TEAM_LEAD) else None,
                              role, self.clock)).token
        person = self.wa.person(wa_id or f"23320{next(self._ids)}", name)
        await self.wa.send(person, f"JOIN {token}")
        return person

    def menu_of(self, user: TgUser) -> list[str]:
        """The labels of the big buttons under the person's message box now: the last reply
        keyboard the bot sent them (none before any)."""
        shown = [m.keyboard for m in self.messages_for(user) if m.keyboard is not None]
        return [label for row in shown[-1] for label in row] if shown else []

    async def tap(self, user: TgUser, label: str) -> list[SentMessage]:
        """The person presses a big button of their menu (its label must be showing)."""
        labels = self.menu_of(user)
        matches = [shown for shown in labels if label in shown]
        assert matches, f"no menu button {label!r} in {labels}"
        return await self.send(user, matches[0])

    def messages_for(self, user: TgUser) -> list[SentMessage]:
        """Everything the bot has sent to the person so far, oldest first."""
        return self.telegram.messages_to(user.id)

    async def next_hour(self) -> list[SentMessage]:
        """Let time run to the next full hour, when the anonymous ideas held in this one reach
        their reviewers, and the scheduler run once."""
        now = self.clock.now()
        self.clock.advance(release_hour(now) - now)
        return await self.run_scheduled()

    async def advance(self, **delta: float) -> list[SentMessage]:
        """Let time pass (days=, hours=, minutes=) and the scheduler run once: returns what
        reached Telegram meanwhile."""
        self.clock.advance(timedelta(**delta))
        return await self.run_scheduled()
