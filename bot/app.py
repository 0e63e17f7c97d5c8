"""The only wiring: builds the Bot, the Dispatcher with its middlewares and routers, and runs
them by long polling or behind a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.response_types import keep_response_types
from bot.clock import Clock, SystemClock
from bot.commands import set_default_menus, set_member_menu
from bot.config import Settings
from bot.content.loader import Curriculum, curriculum
from bot.deps import Deps
from bot.handlers import feature_routers
from bot.i18n import CatalogI18n, build_i18n
from bot.logs import LogContextMiddleware, UnloggedPersonMiddleware
from bot.middlewares import (
    AuthorizationMiddleware,
    CommandsLeaveFlowsMiddleware,
    DbSessionMiddleware,
    ForgivingCommandsMiddleware,
    LocaleMiddleware,
    PersonMiddleware,
    PrivateFlowMiddleware,
)
from bot.scheduling.context import JobContext
from bot.scheduling.leader import Leadership, fenced_session_factory
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import Limiter, Recall, build_limiter
from bot.scheduling.scheduler import add_due_work, build_scheduler, remove_due_work
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade

if TYPE_CHECKING:
    from bot.channels.whatsapp.webhook import WhatsAppWebhook

log = logging.getLogger(__name__)

# Updates the bot asks Telegram for; everything the routers handle, nothing more.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


# The token a Bot is built with when only WhatsApp is configured (it never reaches Telegram).
WHATSAPP_ONLY_TOKEN = "1:whatsapp-only"


def build_bot(
    settings: Settings, session: BaseSession | None = None, *, app: Application | None = None
) -> Bot:
    """The Bot. Given the application and WhatsApp settings, its session speaks both channels
    (bot/channels/whatsapp/session.py); WhatsApp alone needs no BOT_TOKEN."""
    whatsapp = app is not None and settings.whatsapp_enabled
    if settings.bot_token is None and not whatsapp:
        raise ValueError("BOT_TOKEN is not set")
    if session is None and settings.bot_token is not None:
        # A short timeout on every call (long polls add their own wait to it).
        session = AiohttpSession(timeout=settings.telegram_request_timeout)
        if settings.telegram_api_base is not None:
            session.api = TelegramAPIServer.from_base(
                str(settings.telegram_api_base).rstrip("/")
            )
    if whatsapp:
        assert app is not None
        from bot.channels.whatsapp.session import ChannelSession, CloudApi

        cloud = CloudApi(str(settings.whatsapp_api_base), settings.whatsapp_phone_number_id or "",
                         settings.whatsapp_token.get_secret_value())  # type: ignore[union-attr]  # checked by whatsapp_enabled
        session = ChannelSession(session, cloud, app.session_factory, app.clock, app.i18n,
                                 settings.default_locale, settings.bot_username or "scorebot")
    token = settings.bot_token.get_secret_value() if settings.bot_token else WHATSAPP_ONLY_TOKEN
    return Bot(
        token=token,
        session=keep_response_types(session) if session is not None else None,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def build_dispatcher(
    *,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    i18n: CatalogI18n,
    clock: Clock,
    curriculum: Curriculum,
    storage: BaseStorage | None = None,
) -> Dispatcher:
    dp = Dispatcher(
        storage=storage or build_storage(settings),
        settings=settings,
        clock=clock,
        session_factory=session_factory,
        i18n=i18n,
        curriculum=curriculum,
        deps=Deps(settings, clock, i18n, curriculum, settings.relay_secret()),
    )
    # Outer middlewares on `update` see every update, in this order.
    dp.update.outer_middleware(LogContextMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    dp.update.outer_middleware(PrivateFlowMiddleware())
    dp.update.outer_middleware(PersonMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.update.outer_middleware(ForgivingCommandsMiddleware())
    dp.message.outer_middleware(CommandsLeaveFlowsMiddleware())
    # Inner middlewares run once a handler is chosen, so they can read its flags.
    authorization, unlogged = AuthorizationMiddleware(), UnloggedPersonMiddleware()
    for observer in (dp.message, dp.callback_query):
        observer.middleware(unlogged)
        observer.middleware(authorization)
    dp.include_routers(*feature_routers())
    run_filters_inline(dp)
    return dp


def run_filters_inline(router: Router) -> None:
    """aiogram calls a filter that is not a coroutine (every `F...` magic filter, every FSM
    state) through `asyncio.to_thread`, to keep blocking code off the event loop. Ours are
    attribute reads and comparisons, and routers check them for every update: a thread hop
    each, dozens a tap. They are run on the loop instead, as the coroutine they could have
    been; what the filter is given (`params`) stays as aiogram read it."""
    for observer in router.observers.values():
        for handler in [observer._handler, *observer.handlers]:  # the router's own, then each
            for check in handler.filters or ():
                if not check.awaitable:
                    check.callback = _inline(check.callback)
                    check.awaitable = True
    for child in router.sub_routers:
        run_filters_inline(child)


def _inline(sync: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    return call


@dataclass
class Application:
    """Everything a running bot needs, built once."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    i18n: CatalogI18n
    dispatcher: Dispatcher
    clock: Clock
    curriculum: Curriculum

    @property
    def jobs(self) -> JobContext:
        return JobContext(self.session_factory, self.clock, self.i18n, self.curriculum,
                          self.dispatcher["deps"].relay_key)

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.engine.dispose()


async def build_application(
    settings: Settings, *, clock: Clock | None = None, migrate: bool = True
) -> Application:
    engine = create_engine(settings.database_url)
    if migrate:
        await upgrade(engine, relay_key=settings.relay_secret())
    session_factory = create_session_factory(engine)
    i18n = build_i18n(settings.default_locale)
    clock = clock or SystemClock()
    lessons = curriculum()
    dispatcher = build_dispatcher(
        settings=settings, session_factory=session_factory, i18n=i18n, clock=clock,
        curriculum=lessons,
    )
    return Application(settings, engine, session_factory, i18n, dispatcher, clock, lessons)


def build_sender(app: Application, bot: Bot, limiter: Limiter | None = None) -> OutboxSender:
    settings = app.settings
    return OutboxSender(
        app.session_factory, bot, app.clock, limiter,
        claim_lease=timedelta(seconds=settings.outbox_claim_seconds),
        max_age=timedelta(hours=settings.outbox_max_age_hours),
        request_timeout=settings.telegram_request_timeout,
        concurrency=settings.outbox_concurrency,
        breaker_max=settings.outbox_pause_max_seconds,
    )


def conversation_recall(app: Application) -> Recall | None:
    """Where a limiter kept in this process finds the WhatsApp conversations opened before
    it started (the daily tier), so a restart does not forget them; None without WhatsApp."""
    if not app.settings.whatsapp_enabled:
        return None
    from bot.channels.whatsapp.contacts import conversations_since

    return partial(conversations_since, app.session_factory)


def run_scheduler_with(app: Application, bot: Bot) -> None:
    """Start the scheduled jobs when the dispatcher starts, and stop them when it stops.

    Every process sends from the outbox, within limits shared through Redis when REDIS_URL is
    set. On PostgreSQL the due-work scan runs only in the process holding the scheduler lock
    (several processes may serve one bot); on SQLite there is one process, which runs it."""
    limiter = build_limiter(app.settings.redis_url, bot.id,
                            daily_conversations=app.settings.whatsapp_daily_conversations,
                            recall=conversation_recall(app))
    sender = build_sender(app, bot, limiter)
    scheduler = build_scheduler(app.jobs, bot, due_work=False, sender=sender)
    leadership: Leadership | None = None
    if app.engine.dialect.name == "postgresql":
        leadership = Leadership(
            app.engine,
            on_gain=lambda: add_due_work(scheduler, fenced_jobs),
            on_loss=lambda: remove_due_work(scheduler),
        )
        # The scan's writes count only while this process holds the scheduler lock.
        fenced_jobs = dataclasses.replace(
            app.jobs, session_factory=fenced_session_factory(app.engine, leadership))
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        if leadership is None:
            # The only process (`scorebot run` holds the SQLite lock file, see
            # storage.single_process): claims in the outbox were left by its own crash.
            await sender.release_claims()
            scheduler.start()
            add_due_work(scheduler, app.jobs)
        else:
            scheduler.start()
            tasks.append(asyncio.create_task(leadership.run(), name="scheduler-leadership"))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        scheduler.shutdown(wait=False)
        await limiter.close()

    app.dispatcher.startup.register(start)
    app.dispatcher.shutdown.register(stop)


async def _on_startup(bot: Bot, i18n: CatalogI18n, settings: Settings) -> None:
    me = await bot.me()
    log.info("serving as @%s (id %s)", me.username, me.id)
    await set_default_menus(bot, i18n)
    for admin_id in settings.admin_ids:
        await set_member_menu(
            bot, i18n, admin_id, [], settings.default_locale, programme_admin=True
        )


async def run_polling(app: Application, bot: Bot) -> None:
    app.dispatcher.startup.register(_on_startup)
    run_scheduler_with(app, bot)
    await bot.delete_webhook(drop_pending_updates=False)
    runner = None
    if app.settings.dashboard_url and app.settings.bot_token is not None:
        # The dashboard (bot/web) needs a web server: one beside the long polling.
        from bot.web.server import build_dashboard_app

        runner = web.AppRunner(build_dashboard_app(app, bot))
        await runner.setup()
        await web.TCPSite(runner, app.settings.webhook_host, app.settings.webhook_port).start()
        log.info("dashboard served on %s:%s", app.settings.webhook_host,
                 app.settings.webhook_port)
    try:
        await app.dispatcher.start_polling(bot, allowed_updates=ALLOWED_UPDATES)
    finally:
        if runner is not None:
            await runner.cleanup()


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, but a body that is no update (broken JSON, a list, an object
    without update_id) gets 400 instead of a 500 with a traceback. Its content is never
    logged: it may hold what someone wrote."""

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            body = await request.json(loads=bot.session.json_loads)
            update = Update.model_validate(body, context={"bot": bot})
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, ValidationError
            log.warning("webhook: refused a body that is not a Telegram update (%s, %s bytes)",
                        type(error).__name__, request.content_length)
            return web.Response(status=400, text="Bad Request")
        result: Any = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


def build_webhook_app(app: Application, bot: Bot) -> web.Application:
    """An aiohttp application that receives updates from Telegram at the webhook path and
    refuses requests that lack the secret token."""
    from aiogram.webhook.aiohttp_server import setup_application

    settings = app.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None

    async def register_webhook(bot: Bot) -> None:
        url = str(settings.webhook_base_url).rstrip("/") + settings.webhook_path
        await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    app.dispatcher.startup.register(_on_startup)
    if settings.bot_token is not None:
        app.dispatcher.startup.register(register_webhook)
    run_scheduler_with(app, bot)
    web_app = web.Application(client_max_size=1024 * 1024)
    if settings.bot_token is not None:
        # Answer Telegram only once the update is handled and committed: if the process dies
        # half-way, Telegram delivers the update again instead of it being lost.
        WebhookHandler(
            dispatcher=app.dispatcher, bot=bot, secret_token=secret, handle_in_background=False
        ).register(web_app, path=settings.webhook_path)
    if settings.whatsapp_enabled:
        whatsapp_webhook(app, bot).register(web_app, settings.whatsapp_webhook_path)
    if settings.bot_token is not None and settings.dashboard_url:
        from bot.web.server import setup_dashboard

        setup_dashboard(web_app, app, bot)
    setup_application(web_app, app.dispatcher, bot=bot)
    return web_app


def whatsapp_webhook(app: Application, bot: Bot) -> WhatsAppWebhook:
    """The handler of WhatsApp's webhook (bot/channels/whatsapp/webhook.py)."""
    from bot.channels.whatsapp.webhook import WhatsAppWebhook

    settings = app.settings
    return WhatsAppWebhook(
        dispatcher=app.dispatcher, bot=bot,
        app_secret=settings.whatsapp_app_secret.get_secret_value()
        if settings.whatsapp_app_secret else "",
        verify_token=settings.whatsapp_verify_token.get_secret_value()
        if settings.whatsapp_verify_token else "",
        session_factory=app.session_factory, clock=app.clock,
    )


async def run_webhook(app: Application, bot: Bot) -> None:
    web_app = build_webhook_app(app, bot)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, app.settings.webhook_host, app.settings.webhook_port)
    await site.start()
    log.info("webhook server listening on %s:%s%s", app.settings.webhook_host,
             app.settings.webhook_port, app.settings.webhook_path)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
