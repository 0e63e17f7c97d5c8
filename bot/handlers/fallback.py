"""The last router: whatever nothing else handled gets a short, friendly answer, and every
button press is answered so the phone stops its spinner. A greeting, or anything the bot
cannot place, brings the main menu; a near-miss command is offered the one it resembles.
Nothing here stores anything."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.commands import commands_for
from bot.handlers.common import refuse_button
from bot.handlers.onboarding import how_to_join_text
from bot.keyboards.menu import command_button, main_menu
from bot.presenters import menu as ui
from bot.services.people import Identity
from bot.services.wording import closest_command, is_greeting
from storage.models import Membership, Person


def _joined(person: Person | None, programme_admin: bool) -> bool:
    return (person is not None and bool(person.memberships)) or programme_admin


async def unknown_command(message: Message, memberships: list[Membership],
                          programme_admin: bool) -> None:
    names = [spec.name for spec in commands_for(memberships, programme_admin)]
    near = closest_command(message.text or "", names)
    if near is not None:
        await message.answer(ui.did_you_mean(near), reply_markup=command_button(near))
        return
    await message.answer(ui.unknown_command())


async def greet(message: Message, person: Person | None, identity: Identity | None,
                memberships: list[Membership], programme_admin: bool) -> None:
    if not _joined(person, programme_admin):
        await message.answer(how_to_join_text())
        return
    name = identity.display_name if identity else ""
    await message.answer(ui.greeting(name),
                         reply_markup=main_menu(memberships, programme_admin))


async def anything_else(message: Message, person: Person | None,
                        memberships: list[Membership], programme_admin: bool) -> None:
    if not _joined(person, programme_admin):
        await message.answer(how_to_join_text())
        return
    await message.answer(ui.not_understood(),
                         reply_markup=main_menu(memberships, programme_admin))


async def unknown_button(query: CallbackQuery) -> None:
    await refuse_button(query, "no handler for this button")


def build_router() -> Router:
    router = Router(name="fallback")
    private = F.chat.type == "private"
    router.message.register(unknown_command, private, F.text.startswith("/"))
    router.message.register(greet, private, F.text.func(is_greeting))
    router.message.register(anything_else, private)
    router.callback_query.register(unknown_button)
    return router
