from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.replies import UpdateTransaction
from storage.models import ProcessedUpdate

log = logging.getLogger(__name__)


class DbSessionMiddleware(BaseMiddleware):
    """One database session per update: committed when the handler succeeds, rolled back
    when it raises, so a failed update leaves nothing half-written.

    The update's id is written first, in the same transaction: an update Telegram delivers
    twice (a webhook retry, or a restart before long polling confirmed it) finds its id taken
    and is skipped, so its effects happen once. If the first handling failed and rolled back,
    the id is free again and the retry is handled.

    The handler also gets the transaction as `tx` (`bot.replies.UpdateTransaction`): it
    commits with `tx.commit()` before it tells the person anything was stored, and confirms
    with `tx.tell()`; whatever it does afterwards is committed here as before."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.session_factory() as session:
            if isinstance(event, Update) and not await _first_delivery(session, event, data):
                return None
            data["session"] = session
            data["tx"] = UpdateTransaction(session, self.session_factory, data.get("bot"),
                                           data.get("clock"))
            try:
                result = await handler(event, data)
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            return result


async def _first_delivery(session: AsyncSession, update: Update, data: dict[str, Any]) -> bool:
    clock = data.get("clock")
    row = ProcessedUpdate(update_id=update.update_id)
    if clock is not None:
        row.handled_at = clock.now()
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        log.info("update %s was delivered again; it was handled already", update.update_id)
        return False
    return True
