"""Group chats. With privacy mode on the bot sees only commands and replies to itself; it
answers commands briefly and never chatters in a group."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.i18n import _


async def group_hello(message: Message) -> None:
    await message.answer(
        _("Hello! I coach SCORE improvement teams. Open a private chat with me to join your "
          "team or to see what you can do.")
    )


def build_router() -> Router:
    router = Router(name="groups")
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(group_hello, CommandStart())
    router.message.register(group_hello, Command("help"))
    return router
