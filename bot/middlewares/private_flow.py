"""Which updates belong to a private flow: writing a suggestion (which may be anonymous),
answering a reviewer as a suggestion's submitter, and answering the pulse survey.

While such an update is handled, nothing logged may say who the person is: no person id, no
enterprise ids (`bot.logs.enter_private_flow`), no Telegram id and no button data (refusals
and the error handler ask `in_private_flow`/`is_private_update`). The rule is decided here,
once, before the person is even loaded, so that every middleware after it and every handler
is covered, including the refusals of buttons that no handler takes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, Update

from bot.keyboards.callbacks import (
    PulseCallback,
    SubmitterAnswerCallback,
    SuggestCallback,
    SuggestionCallback,
)
from bot.logs import enter_private_flow

# Conversation states (aiogram StatesGroup names) of the private flows.
PRIVATE_STATE_GROUPS = ("SuggestFlow", "ReplyFlow")
# Buttons of the private flows: writing a suggestion, the pulse survey, the submitter's answer.
PRIVATE_BUTTON_PREFIXES = (SuggestCallback.__prefix__, PulseCallback.__prefix__,
                           SubmitterAnswerCallback.__prefix__)


def _private_button(data: str) -> bool:
    prefix = data.split(":", 1)[0]
    if prefix in PRIVATE_BUTTON_PREFIXES:
        return True
    if prefix == SuggestionCallback.__prefix__:
        # Reviewers' actions are not private; but "sr:<id>:answer" is the submitter's Answer
        # as sent before it had its own factory (`LegacySubmitterAnswerCallback`). A button
        # too broken to read is treated as private: when in doubt, show less.
        try:
            SuggestionCallback.unpack(data)
        except (TypeError, ValueError):
            return True
        return False
    return False


def is_private_update(update: Update, state: str | None) -> bool:
    """Whether handling this update must not log who sent it."""
    if state is not None and state.split(":", 1)[0] in PRIVATE_STATE_GROUPS:
        return True
    if update.callback_query is not None:
        return _private_button(update.callback_query.data or "")
    message = update.message
    if message is not None and message.chat.type == "private" and state is None:
        # A photo or voice note on its own starts a suggestion ("is this a suggestion?").
        return bool(message.photo or message.voice or message.audio or message.video
                    or message.video_note or message.document)
    return False


class PrivateFlowMiddleware(BaseMiddleware):
    """Outer middleware on updates, before the person is loaded: marks a private flow for the
    log lines and puts `private_flow` into the handler's arguments (and the error handler's)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        private = False
        if isinstance(event, Update):
            context: FSMContext | None = data.get("state")
            state = await context.get_state() if context is not None else None
            private = is_private_update(event, state)
        data["private_flow"] = private
        if private:
            enter_private_flow()
        return await handler(event, data)
