"""A command always does what it says, even in the middle of a conversation, however it was
typed or tapped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, MessageEntity, TelegramObject, Update

from bot.commands import COMMANDS
from bot.i18n import CatalogI18n
from bot.keyboards.menu import RunCommand, command_for_label

log = logging.getLogger(__name__)

COMMAND_NAMES = frozenset(spec.name for spec in COMMANDS)


def _as_command(message: Message, text: str) -> Message:
    """The same message, as if `text` (a command) had been typed."""
    command = text.split(maxsplit=1)[0]
    return message.model_copy(update={
        "text": text,
        "entities": [MessageEntity(type="bot_command", offset=0, length=len(command))],
    })


def _lower_command(text: str) -> str | None:
    """`/Help`, `/LESSON@Bot args` -> `/help`, `/lesson@Bot args` (arguments untouched);
    None when there is nothing to change. Only ASCII commands: lowering keeps the length."""
    command, space, rest = text.partition(" ")
    name, at, username = command.partition("@")
    if not name.isascii() or name == name.lower():
        return None
    return f"{name.lower()}{at}{username}{space}{rest}"


class ForgivingCommandsMiddleware(BaseMiddleware):
    """Commands as people really send them, turned into the command the handlers know:
    - `/Help` and `/LESSON` (phones capitalise the first letter) are `/help` and `/lesson`;
    - a main-menu button's label, in any shipped language, is its command (private chats);
    - a "Did you mean /lesson?" button (`RunCommand`) is the command, sent from that chat.
    Runs on every update, after the person and the locale are known."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            if event.message is not None:
                message = self._message(event.message, data)
                if message is not event.message:
                    event = event.model_copy(update={"message": message})
            elif event.callback_query is not None:
                pressed = await self._pressed(event.callback_query, data)
                if pressed is not None:
                    event = event.model_copy(update={"message": pressed,
                                                     "callback_query": None})
        return await handler(event, data)

    def _message(self, message: Message, data: dict[str, Any]) -> Message:
        text = message.text
        if not text:
            return message
        if text.startswith("/"):
            lowered = _lower_command(text)
            return message if lowered is None else _as_command(message, lowered)
        i18n: CatalogI18n | None = data.get("i18n")
        if message.chat.type != "private" or i18n is None:
            return message
        command = command_for_label(text, i18n)
        if command is None:
            return message
        # Not logged: "who pressed 💡 Idea when" could narrow down an anonymous suggestion.
        return _as_command(message, f"/{command}")

    async def _pressed(self, query: CallbackQuery, data: dict[str, Any]) -> Message | None:
        if not (query.data or "").startswith(f"{RunCommand.__prefix__}:"):
            return None
        try:
            name = RunCommand.unpack(query.data or "").name
        except (TypeError, ValueError):
            return None
        bot: Bot | None = data.get("bot")
        chat = query.message.chat if query.message is not None else None
        if name not in COMMAND_NAMES or name == "start" or chat is None \
                or chat.type != "private" or bot is None:
            return None  # left to the catch-all, which refuses it politely
        await query.answer()
        assert query.message is not None
        return Message(
            message_id=query.message.message_id, date=_date_of(query.message.date),
            chat=chat,
            from_user=query.from_user, text=f"/{name}",
            entities=[MessageEntity(type="bot_command", offset=0, length=len(name) + 1)],
        ).as_(bot)


class CommandsLeaveFlowsMiddleware(BaseMiddleware):
    """A command sent in the middle of a conversation (writing a suggestion, a check-in...)
    does what it says: the unfinished step is left, never fed the command as an answer.
    Nothing half-written was stored: conversations keep their drafts in FSM state only."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if (isinstance(event, Message) and event.chat.type == "private" and state is not None
                and (event.text or "").startswith("/")):
            step = await state.get_state()
            if step is not None:
                log.info("a command leaves the unfinished step %s", step)
                await state.clear()
        return await handler(event, data)


def _date_of(date: datetime | int) -> datetime:
    """A pressed message's date; an inaccessible (too old) message has 0."""
    return date if isinstance(date, datetime) else datetime.fromtimestamp(date, UTC)
