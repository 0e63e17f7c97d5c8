"""Group chats, usually a consultant's. With privacy mode on the bot sees only commands and
replies to itself; it answers commands briefly and never chatters in a group.

- `/link <code>`: the group follows an enterprise (the code comes from /link in a direct chat);
- `/unlink`: it stops following the enterprises the sender follows;
- `/status`: the health of every enterprise the group follows, now.
Escalation buttons posted in the group are handled in `bot.handlers.consultant`.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import (
    IS_MEMBER,
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
)
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.handlers.common import pack_messages
from bot.i18n import _
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


async def link_group(message: Message, command: CommandObject, session: AsyncSession,
                     person: Person | None, clock: Clock, locale: str,
                     tx: UpdateTransaction) -> None:
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
    await tx.commit()
    await tx.tell(_("This group now follows {enterprise}: a digest every Monday, the "
                    "escalations as they come, and /status any time.").format(
        enterprise=enterprise.name), chat_id=message.chat.id)


async def unlink_group(message: Message, session: AsyncSession, person: Person | None,
                       memberships: list[Membership]) -> None:
    followed = {m.enterprise_id for m in memberships_with(memberships, Capability.FOLLOW)}
    gone = await groups.unlink(session, message.chat.id, followed, person) if person else []
    if not gone:
        await message.answer(_("This group follows no enterprise that you follow."))
        return
    await message.answer(_("This group no longer follows: {names}.").format(
        names=", ".join(e.name for e in gone)))


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
    router.my_chat_member.register(bot_left_group,
                                   ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER))
    return router
