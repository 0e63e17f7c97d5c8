"""/language: choose the language the bot speaks to you in, and whether lessons come as their
voice note first ("voice first")."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import set_member_menu
from bot.handlers.common import private_router, refuse_button
from bot.i18n import CatalogI18n, _
from bot.keyboards.builders import language_keyboard
from bot.keyboards.callbacks import LanguageCallback
from bot.keyboards.menu import VoiceFirstCallback, main_menu, with_voice_first
from bot.languages import LANGUAGES
from bot.presenters import menu as menu_ui
from bot.replies import UpdateTransaction
from bot.services.people import Identity, choose_locale, ensure_person
from storage.models import Person

log = logging.getLogger(__name__)


def _chooser(locale: str, person: Person | None) -> InlineKeyboardMarkup:
    """The languages, and for people who get lessons the voice-first setting under them."""
    markup = language_keyboard(locale)
    if person is None or not person.memberships:
        return markup
    return with_voice_first(markup, person.voice_first)


async def ask_language(message: Message, locale: str, person: Person | None) -> None:
    await message.answer(_("Choose your language:"), reply_markup=_chooser(locale, person))


async def set_voice_first(query: CallbackQuery, callback_data: VoiceFirstCallback,
                          person: Person | None, locale: str, tx: UpdateTransaction) -> None:
    """🔊 Voice first: lessons come as their recorded voice note, the text underneath."""
    if person is None or not person.memberships:
        await refuse_button(query, "voice first without a membership")
        return
    person.voice_first = callback_data.on
    if callback_data.on:
        said = _("Voice first is on: a lesson comes as a voice note first, with the text "
                 "underneath, when it is recorded in your language.")
    else:
        said = _("Voice first is off: lessons come as text, with ▶️ Listen when they are "
                 "recorded in your language.")
    await tx.commit()
    await tx.tell(said + "\n\n" + _("Choose your language:"), query=query,
                  markup=_chooser(locale, person))


async def set_language(
    query: CallbackQuery,
    callback_data: LanguageCallback,
    session: AsyncSession,
    identity: Identity,
    i18n: CatalogI18n,
    bot: Bot,
    tx: UpdateTransaction,
    programme_admin: bool,
) -> None:
    person = await ensure_person(session, identity)
    choose_locale(session, person, callback_data.code)
    with i18n.use_locale(callback_data.code):
        text = _("Done. From now on I will write to you in {language}.").format(
            language=LANGUAGES[callback_data.code]
        )
        menu = main_menu(person.memberships, programme_admin)
        prompt = menu_ui.menu_prompt()
        await tx.commit()
        await tx.tell(text, query=query)
        if menu is not None:  # the menu's buttons in the new language
            await bot.send_message(identity.telegram_id, prompt, reply_markup=menu)
    if person.memberships:
        await set_member_menu(bot, i18n, identity.telegram_id, person.memberships,
                              callback_data.code)


def build_router() -> Router:
    router = private_router("language")
    router.message.register(ask_language, Command("language"))
    router.callback_query.register(set_language, LanguageCallback.filter(F.code.in_(LANGUAGES)))
    router.callback_query.register(set_voice_first, VoiceFirstCallback.filter())
    return router
