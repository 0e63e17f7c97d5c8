"""Nothing is confirmed before it is committed: the one shape shared by the database
middleware and the handlers.

Every update runs in one transaction (`bot.middlewares.database`), which hands the handler
an `UpdateTransaction` as `tx`. A handler that tells the person something was received,
saved or done does it in this order:

    ...store the change, queue what others are told (notify)...
    await tx.commit()          # NothingSaved if it fails: nothing is stored
    await state.clear()        # the draft is dropped only once it is stored
    await tx.tell(text, query=query)   # the confirmation, after the commit

- When the commit fails, `NothingSaved` goes up to the error handler, which tells the person
  in their language that nothing was saved and to try again (by a new message when the
  button can no longer be answered); the conversation state, and so the draft, is kept, and
  the same button works again.
- When the confirmation cannot be shown (Telegram or the way to it fails, whatever the
  answer), the change stays stored and the confirmation is queued in the outbox, which
  delivers it when Telegram takes it again.
- A handler that never calls `tx.commit()` is committed by the middleware after it returns,
  as before.
- An update that changed nothing (no row, no conversation step) commits nothing and is not
  recorded as handled; one that changed something is recorded in the same commit
  (`processed_updates`), and if another delivery of it was recorded first, `AlreadyHandled`
  rolls it all back and the middleware drops it without a word.
- `tell()` answers the button and shows the text at the same time (two Bot API calls, one
  wait).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, ReplyKeyboardMarkup
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock, SystemClock
from bot.services.outbox import enqueue
from storage.db import has_changes
from storage.models import ProcessedUpdate

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


class NothingSaved(Exception):
    """The update's transaction could not be committed: nothing it did is stored."""


class AlreadyHandled(Exception):
    """Another delivery of this update was stored first: this one stored nothing."""


class UpdateTransaction:
    def __init__(self, session: AsyncSession,
                 session_factory: async_sessionmaker[AsyncSession],
                 bot: Bot | None, clock: Clock | None, *, update_id: int | None = None) -> None:
        self.session = session
        self.session_factory = session_factory
        self.bot = bot
        self.clock = clock or SystemClock()
        self.update_id = update_id
        self.committed = False
        self.recorded = False  # the update's id is stored as handled
        self.state_changed = False  # the conversation state was written (set by the middleware)

    async def commit(self) -> None:
        """Store everything so far, or raise NothingSaved having stored nothing."""
        try:
            await self.store()
        except AlreadyHandled:
            raise
        except Exception as error:
            await self.session.rollback()
            raise NothingSaved(f"commit failed: {error!r}") from error
        self.committed = True

    async def store(self) -> bool:
        """Commit what the update changed, with the record that it was handled; returns
        False, having written nothing, when it changed nothing (its reads are ended, so the
        connection goes back to the pool before any Bot API call)."""
        if not (self.state_changed or await has_changes(self.session)):
            if self.session.in_transaction():
                await self.session.commit()  # nothing to flush or store: ends the read
            return False
        if self.update_id is not None and not self.recorded:
            await self._record()
        await self.session.commit()
        self.recorded = self.recorded or self.update_id is not None
        return True

    async def _record(self) -> None:
        values = {"update_id": self.update_id, "handled_at": self.clock.now()}
        try:
            with self.session.no_autoflush:  # the handler's own changes follow at the commit
                await self.session.execute(insert(ProcessedUpdate).values(values))
        except IntegrityError as error:
            await self.session.rollback()
            raise AlreadyHandled(f"update {self.update_id} was stored already") from error

    async def tell(self, text: str, *, query: CallbackQuery | None = None,
                   chat_id: int | None = None,
                   markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
                   toast: str | None = None, queue_if_undelivered: bool = True) -> None:
        """After the commit: answer the button (with `toast`, if any) and show `text` in
        place of its message, or send `text` to `chat_id`. If Telegram does not take it,
        it is queued in the outbox and delivered later; the stored change stays."""
        assert self.committed, "tell() confirms a committed change: call commit() first"
        assert self.bot is not None
        if query is not None:
            chat_id = query.message.chat.id if query.message else query.from_user.id
            await asyncio.gather(self._answer(query, toast),
                                 self._deliver(text, query, chat_id, markup,
                                               queue_if_undelivered))
            return
        assert chat_id is not None
        await self._deliver(text, None, chat_id, markup, queue_if_undelivered)

    @staticmethod
    async def _answer(query: CallbackQuery, toast: str | None) -> None:
        try:
            await query.answer(toast)
        except Exception as error:  # the text still goes, or is queued
            log.info("could not answer the button: %s", _first_line(error))

    async def _deliver(self, text: str, query: CallbackQuery | None, chat_id: int,
                       markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None,
                       queue_if_undelivered: bool) -> None:
        try:
            await self._show(text, query, chat_id, markup)
        except Exception as error:
            if not queue_if_undelivered:
                log.warning("confirmation not delivered: %s", _first_line(error))
                return
            log.warning("confirmation not delivered (%s); queued in the outbox",
                        _first_line(error))
            async with self.session_factory() as session, session.begin():
                enqueue(session, chat_id=chat_id, kind="confirmation", text=text,
                        now=self.clock.now(),
                        reply_markup=markup.model_dump(mode="json", exclude_none=True)
                        if isinstance(markup, InlineKeyboardMarkup) else None)

    async def _show(self, text: str, query: CallbackQuery | None, chat_id: int,
                    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None) -> None:
        assert self.bot is not None
        if query is not None and query.message is not None and not isinstance(
                markup, ReplyKeyboardMarkup):
            try:
                await self.bot.edit_message_text(text=text, chat_id=chat_id,
                                                 message_id=query.message.message_id,
                                                 reply_markup=markup)
                return
            except TelegramBadRequest as error:  # too old, or deleted: a new message
                log.info("could not edit message %s: %s", query.message.message_id,
                         error.message)
        await self.bot.send_message(chat_id, text, reply_markup=markup)


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: " + (str(error).splitlines() or [""])[0][:200]
