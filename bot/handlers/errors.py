"""Our own failures: logged with context; the person is told, in their language, that we
could not do it. The database work of the failed update was already rolled back.

In a private flow (writing a suggestion, answering a reviewer, the pulse survey) the line
names neither the person nor the error's text, which could hold what they wrote or chose:
only the kind of error and where it happened."""

from __future__ import annotations

import logging
import traceback

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent, Update, User

from bot.i18n import CatalogI18n, _
from bot.languages import match_locale
from bot.middlewares.private_flow import is_private_update

log = logging.getLogger(__name__)


def _where(error: BaseException) -> str:
    """The traceback without any error text: file, line and function of each frame."""
    return "".join(traceback.format_tb(error.__traceback__))


def _origin(update: Update) -> tuple[User | None, int | None, str | None]:
    """Who sent the update, the chat to answer in, and the button's query id (if any)."""
    if update.message:
        return update.message.from_user, update.message.chat.id, None
    if update.callback_query:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message else query.from_user.id
        return query.from_user, chat_id, query.id
    return None, None, None


async def on_error(event: ErrorEvent, bot: Bot, i18n: CatalogI18n,
                   state: FSMContext | None = None, private_flow: bool = False,
                   locale: str | None = None) -> None:
    update = event.update
    user, chat_id, query_id = _origin(update)
    current = await state.get_state() if state is not None else None
    if private_flow or is_private_update(update, current):
        log.error("update %s failed in a private flow: %s\n%s", update.update_id,
                  type(event.exception).__name__, _where(event.exception))
    else:
        log.error("update %s from user %s failed: %r", update.update_id,
                  user.id if user else None, event.exception, exc_info=event.exception)
    # The person's own language when the middlewares found it, else Telegram's.
    locale = locale or match_locale(user.language_code if user else None) \
        or i18n.default_locale
    with i18n.speaking(locale):
        text = _("Sorry, something went wrong on our side and nothing was saved. "
                 "Please try again in a moment.")
    if query_id is not None:
        try:
            await bot.answer_callback_query(query_id, text=text, show_alert=True)
            return
        except TelegramAPIError:  # already answered, or too old: a new message instead
            pass
    try:
        if chat_id is not None:
            await bot.send_message(chat_id, text)
    except TelegramAPIError:
        log.warning("could not tell user about the failure of update %s", update.update_id)


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
