"""Group chats, usually a consultant's. With privacy mode on the bot sees only commands and
replies to itself; it answers commands briefly and never chatters in a group.

- `/link <code>`: the group follows an enterprise (the code comes from /link in a direct chat);
- `/unlink`: it stops following the enterprises the sender follows;
- `/status`: the health of every enterprise the group follows, now.
Escalation buttons posted in the group are handled in `bot.handlers.consultant`.
"""

from __future__ import annotations

import logging

from aiogram import F, Router, html
from aiogram.filters import (
    IS_MEMBER,
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
)
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.handlers.common import pack_messages, refuse_button
from bot.i18n import CatalogI18n, _
from bot.keyboards.builders import language_keyboard
from bot.keyboards.callbacks import GroupLanguageCallback
from bot.languages import LANGUAGES
from bot.presenters import health as health_ui
from bot.replies import UpdateTransaction
from bot.services import groups
from bot.services.errors import InvalidValue
from bot.services.health import health_of
from bot.services.permissions import Capability, memberships_with
from storage.models import Membership, Person

log = logging.getLogger(__name__)


async def group_hello(message: Message) -> None:
    await message.answer(
        _("Hello! I coach SCORE improvement teams. Open a private chat with me to join your "
          "team or to see what you can do.")
    )


def _group_languages(current: str) -> InlineKeyboardMarkup:
    return language_keyboard(current, lambda code: GroupLanguageCallback(code=code))


async def link_group(message: Message, command: CommandObject, session: AsyncSession,
                     person: Person | None, clock: Clock, locale: str,
                     i18n: CatalogI18n, tx: UpdateTransaction) -> None:
    if not command.args:
        await message.answer(_("Send /link in a private chat with me to get a code, then "
                               "send /link and the code here."))
        return
    try:
        enterprise = await groups.link(
            session, code_text=command.args, person=person, chat_id=message.chat.id,
            title=message.chat.title or "", locale=locale, now=clock.now())
    except InvalidValue as error:
        if error.code == "linked":
            await message.answer(_("This group already follows that enterprise."))
        else:
            log.info("group %s: link code refused", message.chat.id)
            await message.answer(_("That code does not work: it may be mistyped, used, more "
                                   "than a day old, or someone else's. Send /link in a "
                                   "private chat with me for a new one."))
        return
    # From now on the group speaks its own language (the enterprise's until one is chosen).
    group_locale = await groups.group_locale(session, message.chat.id) or locale
    await tx.commit()
    with i18n.use_locale(group_locale):
        await tx.tell(
            _("This group now follows {enterprise}: a digest every Monday, the escalations as "
              "they come, and /status any time.").format(enterprise=html.quote(enterprise.name))
            + "\n\n" + _("Which language should I use in this group? Anyone who follows its "
                          "enterprises can change it later with /language."),
            chat_id=message.chat.id, markup=_group_languages(group_locale))


async def group_language(message: Message, session: AsyncSession,
                         memberships: list[Membership], locale: str) -> None:
    """/language in a group: its followers choose the group's one language."""
    followed = {m.enterprise_id for m in memberships_with(memberships, Capability.FOLLOW)}
    if not await groups.may_manage_group(session, message.chat.id, followed):
        await message.answer(_("Only a consultant or administrator who follows this group's "
                               "enterprises can change its language."))
        return
    await message.answer(_("Which language should I use in this group?"),
                         reply_markup=_group_languages(locale))


async def set_group_language(query: CallbackQuery, callback_data: GroupLanguageCallback,
                             session: AsyncSession, person: Person | None,
                             memberships: list[Membership], i18n: CatalogI18n,
                             tx: UpdateTransaction) -> None:
    chat_id = query.message.chat.id if query.message else 0
    followed = {m.enterprise_id for m in memberships_with(memberships, Capability.FOLLOW)}
    if person is None or not await groups.may_manage_group(session, chat_id, followed):
        await refuse_button(query, "group language by someone who does not follow it")
        return
    await groups.set_group_locale(session, chat_id, callback_data.code, actor_id=person.id)
    await tx.commit()
    with i18n.use_locale(callback_data.code):
        await tx.tell(_("Done. From now on I will write in this group in {language}.").format(
            language=LANGUAGES[callback_data.code]), query=query)


async def unlink_group(message: Message, session: AsyncSession, person: Person | None,
                       memberships: list[Membership], tx: UpdateTransaction) -> None:
    followed = {m.enterprise_id for m in memberships_with(memberships, Capability.FOLLOW)}
    gone = await groups.unlink(session, message.chat.id, followed, person) if person else []
    if not gone:
        await message.answer(_("This group follows no enterprise that you follow."))
        return
    await tx.commit()
    await tx.tell(_("This group no longer follows: {names}.").format(
        names=", ".join(html.quote(e.name) for e in gone)), chat_id=message.chat.id)


async def group_status(message: Message, session: AsyncSession, clock: Clock,
                       locale: str) -> None:
    enterprises = await groups.linked_enterprises(session, message.chat.id)
    if not enterprises:
        await message.answer(_("This group follows no enterprise yet. A consultant can send "
                               "/link in a private chat with me to get a code."))
        return
    now = clock.now()
    lines: list[str] = []
    for enterprise in enterprises:
        if lines:
            lines.append("")
        lines += health_ui.card(await health_of(session, enterprise, now), locale)
    for text in pack_messages(lines):
        await message.answer(text)


async def bot_left_group(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """Removed from a group: stop following enterprises there, so nothing is queued for it."""
    log.info("removed from group %s; its links are dropped", event.chat.id)
    await groups.forget_group(session, event.chat.id)


async def group_migrated(message: Message, session: AsyncSession) -> None:
    """The group became a supergroup: Telegram says so in both chats. The links and the
    messages waiting for the group follow it to its new id."""
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        assert message.migrate_from_chat_id is not None
        old, new = message.migrate_from_chat_id, message.chat.id
    log.info("group %s became supergroup %s", old, new)
    await groups.follow_migration(session, old, new)


def build_router() -> Router:
    router = Router(name="groups")
    in_group = F.chat.type.in_({"group", "supergroup"})
    router.message.filter(in_group)
    router.my_chat_member.filter(in_group)
    router.message.register(group_migrated, F.migrate_to_chat_id | F.migrate_from_chat_id)
    router.message.register(group_hello, CommandStart())
    router.message.register(group_hello, Command("help"))
    router.message.register(link_group, Command("link"))
    router.message.register(unlink_group, Command("unlink"))
    router.message.register(group_status, Command("status"))
    router.message.register(group_language, Command("language"))
    router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))
    router.callback_query.register(set_group_language,
                                   GroupLanguageCallback.filter(F.code.in_(LANGUAGES)))
    router.my_chat_member.register(bot_left_group,
                                   ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER))
    return router
