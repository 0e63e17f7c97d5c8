"""A command always does what it says, even in the middle of a conversation."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject

log = logging.getLogger(__name__)


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
