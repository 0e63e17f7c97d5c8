"""The last router: whatever nothing else handled gets a short, friendly answer, and every
button press is answered so the phone stops its spinner."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.common import refuse_button
from bot.handlers.onboarding import how_to_join_text
from bot.i18n import _
from storage.models import Person


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know that command. Send /help to see what you can do."))


async def anything_else(message: Message, person: Person | None) -> None:
    if person is None or not person.memberships:
        await message.answer(how_to_join_text())
        return
    await message.answer(
        _("Sorry, I did not understand that. Send /help to see what you can do.")
    )


async def unknown_button(query: CallbackQuery) -> None:
    await refuse_button(query, "no handler for this button")


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    router.message.register(anything_else, F.chat.type == "private")
    router.callback_query.register(unknown_button)
    return router
