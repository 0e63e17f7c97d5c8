from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import bind
from bot.services.people import Identity, load_person, refresh_identity


def identity_of(user: User) -> Identity:
    return Identity(
        telegram_id=user.id, display_name=user.full_name, language_code=user.language_code
    )


class PersonMiddleware(BaseMiddleware):
    """Puts `person` (or None for someone we do not know yet), `memberships`, `identity`
    and `programme_admin` into the handler's arguments."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        person = None
        if user is not None and not user.is_bot:
            identity = identity_of(user)
            data["identity"] = identity
            person = await load_person(session, user.id)
            if person is not None:
                refresh_identity(person, identity)
        else:
            data["identity"] = None
        data["person"] = person
        # Programme administrators (ADMIN_IDS) may act as an admin in every enterprise.
        settings = data.get("settings")
        data["programme_admin"] = bool(
            user is not None and settings is not None and user.id in settings.admin_ids
        )
        data["memberships"] = list(person.memberships) if person else []
        if person is not None:
            bind(person_id=person.id,
                 enterprise_ids=sorted({m.enterprise_id for m in data["memberships"]}))
        return await handler(event, data)
