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
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.clock import Clock, SystemClock
from bot.services.outbox import enqueue

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


class NothingSaved(Exception):
    """The update's transaction could not be committed: nothing it did is stored."""


class UpdateTransaction:
    def __init__(self, session: AsyncSession,
                 session_factory: async_sessionmaker[AsyncSession],
                 bot: Bot | None, clock: Clock | None) -> None:
        self.session = session
        self.session_factory = session_factory
        self.bot = bot
        self.clock = clock or SystemClock()
        self.committed = False

    async def commit(self) -> None:
        """Store everything so far, or raise NothingSaved having stored nothing."""
        try:
            await self.session.commit()
        except Exception as error:
            await self.session.rollback()
            raise NothingSaved(f"commit failed: {error!r}") from error
        self.committed = True

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
            try:
                await query.answer(toast)
            except Exception as error:  # the text below still goes, or is queued
                log.info("could not answer the button: %s", _first_line(error))
        assert chat_id is not None
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
