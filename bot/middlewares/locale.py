from __future__ import annotations

from typing import Any

from aiogram.types import Chat, TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from bot.services.groups import group_locale
from bot.services.people import resolve_locale


class LocaleMiddleware(I18nMiddleware):
    """Speaks to each person in their language: their choice, else Telegram's, else their
    enterprise's, else the bot's default. A linked group chat has one language, whoever
    writes there. The result is also passed on as `locale`."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        chat: Chat | None = data.get("event_chat")
        locale = None
        if chat is not None and chat.type in ("group", "supergroup") and "session" in data:
            locale = await group_locale(data["session"], chat.id)
        if locale is None:
            user: User | None = data.get("event_from_user")
            locale = resolve_locale(data.get("person"), user.language_code if user else None,
                                    self.i18n.default_locale)
        data["locale"] = locale
        return locale
