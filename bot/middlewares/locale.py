from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from bot.services.people import resolve_locale


class LocaleMiddleware(I18nMiddleware):
    """Speaks to each person in their language: their choice, else Telegram's, else their
    enterprise's, else the bot's default. The result is also passed on as `locale`."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        locale = resolve_locale(
            data.get("person"), user.language_code if user else None, self.i18n.default_locale
        )
        data["locale"] = locale
        return locale
