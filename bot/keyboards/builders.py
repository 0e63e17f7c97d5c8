from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.callbacks import InviteCallback, LanguageCallback
from bot.languages import LANGUAGES
from storage.models import Membership, Role, Team


def language_keyboard(
    current: str,
    button: Callable[[str], CallbackData] = lambda code: LanguageCallback(code=code),
) -> InlineKeyboardMarkup:
    """A button per shipped language, carrying `button(code)` (a person's own by default)."""
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGES.items():
        mark = "✓ " if code == current else ""
        builder.button(text=f"{mark}{name}", callback_data=button(code))
    builder.adjust(2)
    return builder.as_markup()


def enterprise_keyboard(
    memberships: list[Membership],
    button: Callable[[Membership], CallbackData] = lambda m: InviteCallback(
        enterprise_id=m.enterprise_id),
) -> InlineKeyboardMarkup:
    """One button per enterprise, carrying `button(membership)` (an invite step by default)."""
    builder = InlineKeyboardBuilder()
    seen = set()
    for membership in memberships:
        if membership.enterprise_id in seen:
            continue
        seen.add(membership.enterprise_id)
        builder.button(text=membership.enterprise.name[:60], callback_data=button(membership))
    builder.adjust(1)
    return builder.as_markup()


def role_keyboard(enterprise_id: int, roles: list[tuple[Role, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for role, label in roles:
        builder.button(
            text=label, callback_data=InviteCallback(enterprise_id=enterprise_id, role=role.value)
        )
    builder.adjust(1)
    return builder.as_markup()


def team_keyboard(enterprise_id: int, role: Role, teams: list[Team]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for team in teams:
        builder.button(
            text=team.name,
            callback_data=InviteCallback(
                enterprise_id=enterprise_id, role=role.value, team_id=team.id
            ),
        )
    builder.adjust(1)
    return builder.as_markup()
