"""/dashboard: a button that opens the web dashboard inside Telegram (a Mini App, bot/web),
and a one-time link for a browser on a computer."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, WebAppInfo

from bot.clock import Clock
from bot.config import Settings
from bot.handlers.common import private_router
from bot.i18n import _
from bot.services.permissions import Capability
from bot.web.auth import new_link_token


async def open_dashboard(message: Message, bot: Bot, settings: Settings, clock: Clock,
                         fsm_storage: BaseStorage) -> None:
    base = settings.dashboard_url
    if base is None or settings.bot_token is None or message.from_user is None:
        await message.answer(_("The dashboard is not set up on this server yet."))
        return
    token = await new_link_token(fsm_storage, settings.bot_token.get_secret_value(), bot.id,
                                 message.from_user.id, clock.now())
    markup = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=_("Open the dashboard"),
                              web_app=WebAppInfo(url=f"{base}/app"))],
        [InlineKeyboardButton(text=_("Open in a browser"), url=f"{base}/login?t={token}")],
    ])
    await message.answer(_("Your enterprises, their KPI charts and everything stalled, on one "
                           "page. On a computer, use the browser link: it works once, within "
                           "10 minutes."), reply_markup=markup)


def build_router() -> Router:
    router = private_router("dashboard")
    router.message.register(open_dashboard, Command("dashboard"),
                            flags={"capability": Capability.DASHBOARD})
    return router
