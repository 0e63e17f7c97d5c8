from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.callbacks import InviteCallback, LanguageCallback
from bot.languages import LANGUAGES
from storage.models import Membership, Role, Team


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGES.items():
        mark = "✓ " if code == current else ""
        builder.button(text=f"{mark}{name}", callback_data=LanguageCallback(code=code))
    builder.adjust(2)
    return builder.as_markup()


def enterprise_keyboard(memberships: list[Membership]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for membership in memberships:
        builder.button(
            text=membership.enterprise.name,
            callback_data=InviteCallback(enterprise_id=membership.enterprise_id),
        )
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
