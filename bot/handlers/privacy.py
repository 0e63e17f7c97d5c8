"""A person's own data: /mydata sends all of it as a file; /forget, once confirmed, removes
who they are (see `bot.services.privacy` for what stays and why)."""

from __future__ import annotations

import json
import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.handlers.common import private_router, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import PrivacyCallback
from bot.replies import UpdateTransaction
from bot.services import privacy
from storage.models import Person

log = logging.getLogger(__name__)


def _nothing_held() -> str:
    return _("I hold no data about you: you have not joined yet.")


async def send_my_data(message: Message, session: AsyncSession, person: Person | None,
                       bot: Bot, deps: Deps) -> None:
    if person is None:
        await message.answer(_nothing_held())
        return
    data = await privacy.my_data(session, person, deps.relay_key)
    content = json.dumps(data, ensure_ascii=False, indent=1).encode()
    await bot.send_document(
        message.chat.id, BufferedInputFile(content, filename="my-scorebot-data.json"),
        caption=_("Everything I hold about you. Send /forget if you want me to remove who "
                  "you are."))


async def ask_to_forget(message: Message, session: AsyncSession, person: Person | None) -> None:
    if person is None:
        await message.answer(_nothing_held())
        return
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, forget me"), callback_data=PrivacyCallback(action="forget"))
    builder.button(text=_("No, keep me"), callback_data=PrivacyCallback(action="keep"))
    builder.adjust(1)
    text = _("This removes your name, your memberships, your notes and messages, and the link "
             "between you and your suggestions. Your suggestions stay for your team, without "
             "your name, and lessons you did still count in your team's figures, without you. "
             "It cannot be undone. Go ahead?")
    if await privacy.recordings_made(session, person.id):
        text += "\n\n" + _("The lessons you recorded are deleted too: a voice can tell who "
                            "you are.")
    await message.answer(text, reply_markup=builder.as_markup())


async def keep_me(query: CallbackQuery, bot: Bot, person: Person | None) -> None:
    """"No, keep me": nothing changes."""
    await query.answer()
    await replace_message(bot, query, _("Nothing was changed.") if person else _nothing_held())


async def forget_me(query: CallbackQuery, bot: Bot, session: AsyncSession,
                    person: Person | None, state: FSMContext, deps: Deps,
                    tx: UpdateTransaction) -> None:
    """"Yes, forget me": forgotten, committed, and only then said so."""
    if person is None:
        await keep_me(query, bot, person)
        return
    await privacy.forget(session, person, deps.clock.now(), deps.relay_key)
    await tx.commit()  # "done" only once it is done
    await state.clear()
    log.info("a person asked to be forgotten; done")
    # Never kept in the outbox: nothing of a forgotten person stays behind.
    await tx.tell(_("Done: I have forgotten you. If you come back one day, you will need a "
                    "new invite."), query=query, queue_if_undelivered=False)


def build_router() -> Router:
    router = private_router("privacy")
    router.message.register(send_my_data, Command("mydata"))
    router.message.register(ask_to_forget, Command("forget"))
    router.callback_query.register(forget_me, PrivacyCallback.filter(F.action == "forget"))
    router.callback_query.register(keep_me, PrivacyCallback.filter(F.action == "keep"))
    return router
