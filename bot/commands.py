"""The command menu: which commands each person sees, in their language.

One list feeds /help and Telegram's menu (setMyCommands), so they never disagree. The default
menu (for people who have not joined) is set once per language at start; a member's menu is
set for their private chat when they join or change language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from babel.support import LazyProxy

from bot.i18n import CatalogI18n, __
from bot.languages import SUPPORTED_LOCALES, telegram_language_code
from bot.services.permissions import PROGRAMME_ADMIN_CAPABILITIES, Capability, can
from storage.models import Membership

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: LazyProxy
    capability: Capability | None = None  # None: everyone


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", __("Start or join with an invite")),
    CommandSpec("help", __("What I can do for you")),
    CommandSpec("lesson", __("Your next lesson now"), Capability.LEARN),
    CommandSpec("progress", __("Lessons done and quiz results"), Capability.LEARN),
    CommandSpec("suggest", __("Suggest an improvement"), Capability.SUGGEST),
    CommandSpec("review", __("Suggestions waiting for your answer"),
                Capability.REVIEW_SUGGESTIONS),
    CommandSpec("stats", __("Suggestion figures beside benchmarks"), Capability.SUGGEST),
    CommandSpec("checkin", __("The weekly KPI check-in"), Capability.REPORT_KPIS),
    CommandSpec("kpi", __("KPI trends, chart and effectiveness"), Capability.SEE_KPIS),
    CommandSpec("baseline", __("Correct a KPI's baseline"), Capability.SET_BASELINES),
    CommandSpec("points", __("Adjust a KPI's effectiveness points"), Capability.SET_BASELINES),
    CommandSpec("actions", __("Your team's open actions"), Capability.LEARN),
    CommandSpec("action", __("Plan an action: who does what by when"), Capability.PLAN_ACTIONS),
    CommandSpec("teams", __("Your enterprises' health at a glance"), Capability.FOLLOW),
    CommandSpec("link", __("Have a group chat follow an enterprise"), Capability.FOLLOW),
    CommandSpec("export", __("Programme data as a spreadsheet"), Capability.FOLLOW),
    CommandSpec("record", __("Read a lesson aloud for workers"), Capability.FOLLOW),
    CommandSpec("picture", __("Add a photo from the factory floor to a lesson"),
                Capability.FOLLOW),
    CommandSpec("climate", __("Working Climate Index of your team"), Capability.SEE_CLIMATE),
    CommandSpec("selfcheck", __("Labour-standards self-check"), Capability.SELF_CHECK),
    CommandSpec("report", __("Programme figures across enterprises"),
                Capability.SEE_PROGRAMME),
    CommandSpec("dashboard", __("The dashboard: enterprises, charts and stalls"),
                Capability.DASHBOARD),
    CommandSpec("team", __("Your enterprise and team"), Capability.SEE_TEAM),
    CommandSpec("schedule", __("Set your team's lesson days and time"),
                Capability.LEAD_LEARNING),
    CommandSpec("invite", __("Invite people to your team"), Capability.INVITE),
    CommandSpec("pause", __("Pause lessons and reminders"), Capability.LEARN),
    CommandSpec("resume", __("Resume lessons and reminders"), Capability.LEARN),
    CommandSpec("language", __("Change the language")),
    CommandSpec("mydata", __("All the data I hold about you")),
    CommandSpec("forget", __("Remove who you are from the bot")),
)


def commands_for(
    memberships: Iterable[Membership], programme_admin: bool = False
) -> list[CommandSpec]:
    memberships = list(memberships)
    return [
        spec
        for spec in COMMANDS
        if spec.capability is None
        or (programme_admin and spec.capability in PROGRAMME_ADMIN_CAPABILITIES)
        or any(can(m, spec.capability) for m in memberships)
    ]


def _bot_commands(specs: Iterable[CommandSpec]) -> list[BotCommand]:
    return [BotCommand(command=spec.name, description=str(spec.description)) for spec in specs]


async def set_default_menus(bot: Bot, i18n: CatalogI18n) -> None:
    """The menu of someone who has not joined, in every shipped language."""
    public = commands_for([])
    for locale in SUPPORTED_LOCALES:
        with i18n.speaking(locale):
            commands = _bot_commands(public)
        language_code = None if locale == i18n.default_locale else telegram_language_code(locale)
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code
        )


async def set_member_menu(
    bot: Bot,
    i18n: CatalogI18n,
    chat_id: int,
    memberships: Iterable[Membership],
    locale: str,
    programme_admin: bool = False,
) -> None:
    """The menu of one member in their private chat. A failure is logged, never fatal:
    the menu is a convenience and /help always works."""
    with i18n.speaking(locale):
        commands = _bot_commands(commands_for(memberships, programme_admin))
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError:
        log.warning("could not set the command menu for chat %s", chat_id, exc_info=True)
