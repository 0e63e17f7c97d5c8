from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.i18n import _
from bot.services.permissions import (
    PROGRAMME_ADMIN_CAPABILITIES,
    Capability,
    memberships_with,
)

log = logging.getLogger(__name__)


class AuthorizationMiddleware(BaseMiddleware):
    """Handlers declare what they need with `flags={"capability": Capability.X}`; people
    without a membership that grants it get a polite refusal and the attempt is logged.
    Handlers still check that the data they touch belongs to an enterprise the person may
    act in: this is the first gate, not the only one."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        capability: Capability | None = get_flag(data, "capability")
        if capability is None:
            return await handler(event, data)
        allowed = memberships_with(data.get("memberships", []), capability)
        if allowed or (
            data.get("programme_admin") and capability in PROGRAMME_ADMIN_CAPABILITIES
        ):
            data["allowed_memberships"] = allowed
            return await handler(event, data)
        # Who was refused is in the line's fields (the person id), outside private flows.
        log.warning("refused: capability=%s event=%s", capability, type(event).__name__)
        if data.get("memberships"):
            text = _("Sorry, your role does not allow that. Send /help to see what you can do.")
        else:
            text = _(
                "You are not part of an improvement team yet. Ask your manager or SCORE "
                "trainer for an invite link or QR code."
            )
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
        return None
