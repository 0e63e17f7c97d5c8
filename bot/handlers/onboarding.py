"""/start: join with an invite token, or learn how to get one."""

from __future__ import annotations

import logging

from aiogram import Bot, Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.commands import set_member_menu
from bot.handlers.common import private_router
from bot.i18n import CatalogI18n, _, format_date
from bot.keyboards.menu import main_menu
from bot.replies import UpdateTransaction
from bot.services.invites import Outcome, Redemption, redeem
from bot.services.people import Identity, resolve_locale
from bot.texts import role_name
from storage.models import Membership, Person

log = logging.getLogger(__name__)


def joined_text(membership: Membership, name: str) -> str:
    enterprise = html.quote(membership.enterprise.name)
    role = role_name(membership.role)
    if membership.team is not None:
        where = _("Welcome, {name}! You have joined {enterprise} as {role} in the team "
                  "“{team}”.").format(name=html.quote(name), enterprise=enterprise, role=role,
                                      team=html.quote(membership.team.name))
    else:
        where = _("Welcome, {name}! You have joined {enterprise} as {role}.").format(
            name=html.quote(name), enterprise=enterprise, role=role
        )
    return "\n\n".join(
        [
            where,
            _("I am your SCORE coach: together we will make work better, safer and more "
              "productive, one small step at a time."),
            _("Tap a button below, or send /help to see what you can do."),
        ]
    )


def how_to_join_text() -> str:
    return _(
        "Hello! I coach improvement teams in the ILO SCORE programme.\n\n"
        "To join your team you need an invite: scan the QR code on the poster at work, or "
        "open the link your manager or SCORE trainer sent you."
    )


async def start_with_token(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    identity: Identity,
    clock: Clock,
    bot: Bot,
    i18n: CatalogI18n,
    tx: UpdateTransaction,
) -> None:
    result = await redeem(session, command.args or "", identity, clock=clock)
    if result.outcome is Outcome.JOINED:
        assert result.person is not None and result.membership is not None
        locale = resolve_locale(result.person, identity.language_code, i18n.default_locale)
        with i18n.use_locale(locale):
            welcome = joined_text(result.membership, result.person.display_name)
            menu = main_menu(result.person.memberships)
        await tx.commit()  # welcomed only once the membership is stored
        await tx.tell(welcome, chat_id=message.chat.id, markup=menu)
        try:
            await set_member_menu(bot, i18n, message.chat.id, result.person.memberships, locale)
        except TelegramAPIError as error:  # the welcome lists the commands too
            log.warning("could not set the command menu: %s", error)
        log.info("person %s joined enterprise %s as %s", result.person.id,
                 result.membership.enterprise_id, result.membership.role)
        return
    if result.outcome is Outcome.UNKNOWN:
        log.info("unknown invite token from user %s", identity.telegram_id)
    await message.answer(_not_joined(result, i18n.current_locale))


def _not_joined(result: Redemption, locale: str) -> str:
    """Why an invite did not make the person a member."""
    if result.outcome is Outcome.ALREADY_MEMBER and result.membership is not None:
        return _("You are already a member of {enterprise} as {role}. Send /help to see what "
                 "you can do.").format(enterprise=html.quote(result.membership.enterprise.name),
                                       role=role_name(result.membership.role))
    if result.outcome is Outcome.EXPIRED and result.expired_at is not None:
        return _("This invite expired on {date}. Please ask for a new one.").format(
            date=format_date(result.expired_at, locale))
    if result.outcome is Outcome.USED_UP:
        return _("This invite has been used up. Please ask for a new one.")
    return _("I do not recognise this invite. Please check the link or scan the QR code again.")


async def start_plain(
    message: Message, person: Person | None, identity: Identity, programme_admin: bool,
    memberships: list[Membership],
) -> None:
    if (person is not None and person.memberships) or programme_admin:
        await message.answer(
            _("Welcome back, {name}! Send /help to see what you can do.").format(
                name=html.quote(identity.display_name)
            ),
            reply_markup=main_menu(memberships, programme_admin),
        )
        return
    await message.answer(how_to_join_text())


def build_router() -> Router:
    router = private_router("onboarding")
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    return router
