from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StateType
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.replies import AlreadyHandled, UpdateTransaction
from storage.models import ProcessedUpdate

log = logging.getLogger(__name__)

# Update ids this process has seen lately (a webhook retry comes within minutes).
RECENT_UPDATES = 20_000


class DbSessionMiddleware(BaseMiddleware):
    """One database session per update: committed when the handler succeeds, rolled back
    when it raises, so a failed update leaves nothing half-written.

    An update Telegram delivers twice (a webhook retry, or a restart before long polling
    confirmed it) has its effects once:
    - this process remembers the ids it has handled lately, so a second delivery to it is
      skipped without asking the database; one that comes while the first is still being
      handled here (a webhook retry of a slow update) waits for it, and is handled only if
      the first failed;
    - an update that changed something (a row, or the conversation step) stores its id in
      `processed_updates` in the same commit, so a delivery to another process, or after a
      restart, finds it (one primary-key read before the handler) and is skipped; if two
      deliveries run at once, the second's commit finds the id taken and stores nothing
      (`AlreadyHandled`);
    - an update that changed nothing commits nothing and stores no id: handled again, it
      can only answer again.
    If the handling failed and rolled back, the id is free again and the retry is handled.

    The handler also gets the transaction as `tx` (`bot.replies.UpdateTransaction`): it
    commits with `tx.commit()` before it tells the person anything was stored, and confirms
    with `tx.tell()`; whatever it does afterwards is committed here as before."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self.recent: OrderedDict[int, None] = OrderedDict()  # handled here lately
        self.running: dict[int, asyncio.Event] = {}  # being handled here now

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = event.update_id if isinstance(event, Update) else None
        if update_id is None:
            return await self._handle(handler, event, data, None)
        if not await self._take(update_id):
            log.info("update %s was delivered again; it was handled already", update_id)
            return None
        handled = False
        try:
            result = await self._handle(handler, event, data, update_id)
            handled = True
            return result
        finally:
            self._finish(update_id, handled)

    async def _handle(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                      event: TelegramObject, data: dict[str, Any],
                      update_id: int | None) -> Any:
        async with self.session_factory() as session:
            if update_id is not None and await _stored_already(session, update_id):
                log.info("update %s was delivered again; it was handled already", update_id)
                return None
            tx = UpdateTransaction(session, self.session_factory, data.get("bot"),
                                   data.get("clock"), update_id=update_id)
            data["session"] = session
            data["tx"] = tx
            state: FSMContext | None = data.get("state")
            if state is not None:
                data["state"] = _TrackedState(state, tx)
            try:
                result = await handler(event, data)
                await tx.store()
            except AlreadyHandled:
                await session.rollback()
                log.info("update %s was stored by another delivery first", update_id)
                return None
            except BaseException:
                await session.rollback()
                raise
            return result

    async def _take(self, update_id: int) -> bool:
        """Whether this delivery is to be handled: not when this process handled the update
        lately. A delivery that comes while another is being handled here (a webhook retry
        of a slow update) waits for it, and is handled only if that one failed."""
        while (running := self.running.get(update_id)) is not None:
            await running.wait()
        if update_id in self.recent:
            return False
        self.running[update_id] = asyncio.Event()
        return True

    def _finish(self, update_id: int, handled: bool) -> None:
        if handled:
            self.recent[update_id] = None
            if len(self.recent) > RECENT_UPDATES:
                self.recent.popitem(last=False)
        running = self.running.pop(update_id, None)
        if running is not None:
            running.set()


async def _stored_already(session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


class _TrackedState(FSMContext):
    """The update's conversation state, noting when it is written: such an update changed
    something even if it stored no row, so its id is recorded."""

    def __init__(self, state: FSMContext, tx: UpdateTransaction) -> None:
        super().__init__(storage=state.storage, key=state.key)
        self._tx = tx

    async def set_state(self, state: StateType = None) -> None:
        self._tx.state_changed = True
        await super().set_state(state)

    async def set_data(self, data: Mapping[str, Any]) -> None:
        self._tx.state_changed = True
        await super().set_data(data)

    async def update_data(self, data: Mapping[str, Any] | None = None,
                          **kwargs: Any) -> dict[str, Any]:
        self._tx.state_changed = True
        return await super().update_data(data, **kwargs)

    async def clear(self) -> None:
        self._tx.state_changed = True
        await super().clear()
