"""The main menu: big buttons under the message box (a persistent reply keyboard), per role,
in the person's language. The one source for the menu's buttons and for reading them back.

A button sends its label as a plain message; `command_for_label` turns a label, in any
shipped language, back into its command, and the command middleware
(`bot.middlewares.commands`) hands it on as that command. So a press does exactly what the
command does: the same handler, the same permission check, and it leaves an unfinished step
as a typed command would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.support import LazyProxy

from bot.i18n import CatalogI18n, _, __
from bot.languages import SUPPORTED_LOCALES
from storage.models import Membership, Role

_ALL = frozenset(Role)
_LEADS = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
_FOLLOWERS = frozenset({Role.CONSULTANT, Role.ADMIN})


@dataclass(frozen=True)
class MenuItem:
    command: str
    label: LazyProxy  # an emoji, then one or two short words
    roles: frozenset[Role]  # shown to people with one of these roles
    programme_admin: bool = False  # shown to programme administrators (ADMIN_IDS) too


# In the order shown, two to a row. One command appears once: the first item that applies.
MENU: tuple[MenuItem, ...] = (
    MenuItem("teams", __("🏭 Teams"), _FOLLOWERS),
    MenuItem("report", __("🌍 Programme"), frozenset(), programme_admin=True),
    MenuItem("review", __("📝 Review ideas"), _LEADS),
    MenuItem("checkin", __("📈 Check-in"), _LEADS),
    MenuItem("lesson", __("📘 Lesson"), frozenset({Role.WORKER, Role.TEAM_LEAD})),
    MenuItem("suggest", __("💡 Idea"), frozenset({Role.WORKER, Role.TEAM_LEAD, Role.MANAGER})),
    MenuItem("actions", __("✅ My actions"), frozenset({Role.WORKER})),
    MenuItem("actions", __("✅ Actions"), _ALL),
    MenuItem("kpi", __("📉 KPIs"), _LEADS | _FOLLOWERS),
    MenuItem("team", __("📊 My team"), _ALL, programme_admin=True),
    MenuItem("language", __("🌐 Language"), _ALL, programme_admin=True),
    MenuItem("help", __("❓ Help"), _ALL, programme_admin=True),
)


def menu_for(memberships: Iterable[Membership], programme_admin: bool = False) -> list[MenuItem]:
    """The buttons of this person's menu; none for someone who has not joined."""
    roles = {m.role for m in memberships}
    chosen: list[MenuItem] = []
    for item in MENU:
        if any(c.command == item.command for c in chosen):
            continue
        if roles & item.roles or (programme_admin and item.programme_admin):
            chosen.append(item)
    return chosen


def main_menu(memberships: Iterable[Membership],
              programme_admin: bool = False) -> ReplyKeyboardMarkup | None:
    """The reply keyboard in the current locale, or None for someone who has not joined."""
    items = menu_for(memberships, programme_admin)
    if not items:
        return None
    buttons = [KeyboardButton(text=str(item.label)) for item in items]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True,
                               input_field_placeholder=None)


_VARIATION = re.compile("[\ufe0e\ufe0f\u200d]")


def _key(text: str) -> str:
    """A label as compared: case, spacing and emoji variation selectors do not matter."""
    return " ".join(_VARIATION.sub("", text).casefold().split())


@cache
def _labels(i18n: CatalogI18n) -> dict[str, str]:
    found: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        with i18n.speaking(locale):
            for item in MENU:
                found.setdefault(_key(str(item.label)), item.command)
    return found


def command_for_label(text: str | None, i18n: CatalogI18n) -> str | None:
    """The command a menu button's label stands for, in any shipped language (a shared
    phone, or a keyboard shown before a change of language), or None."""
    if not text or len(text) > 64:
        return None
    return _labels(i18n).get(_key(text))


def all_labels(i18n: CatalogI18n) -> dict[str, list[str]]:
    """Every label of the menu per locale (for tests and the fuzzing of hostile input)."""
    labels: dict[str, list[str]] = {}
    for locale in SUPPORTED_LOCALES:
        with i18n.speaking(locale):
            labels[locale] = [str(item.label) for item in MENU]
    return labels


class VoiceFirstCallback(CallbackData, prefix="vf"):
    """The "voice first" setting under /language: lessons as their voice note first."""

    on: bool


def with_voice_first(markup: InlineKeyboardMarkup, on: bool) -> InlineKeyboardMarkup:
    """`markup` (the language chooser) with the voice-first button under it, ticked when on;
    a press turns it the other way."""
    builder = InlineKeyboardBuilder.from_markup(markup)
    mark = "✓ " if on else ""
    builder.row(InlineKeyboardButton(text=mark + _("🔊 Voice first"),
                                     callback_data=VoiceFirstCallback(on=not on).pack()))
    return builder.as_markup()


class RunCommand(CallbackData, prefix="cmd"):
    """A button that does what a command does ("Did you mean /lesson?")."""

    name: str


def command_button(name: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=f"/{name}", callback_data=RunCommand(name=name))
    return builder.as_markup()
