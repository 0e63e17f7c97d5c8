"""/invite: team leads, managers, consultants and admins create invite links and QR codes.

Steps (each a button): enterprise (when the person serves several), role, team (for team
roles). Every step re-checks what the button names, because button data can be forged.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import _, format_date
from bot.keyboards.builders import enterprise_keyboard, role_keyboard, team_keyboard
from bot.keyboards.callbacks import InviteCallback
from bot.replies import UpdateTransaction
from bot.services.enterprises import list_enterprises, teams_of
from bot.services.invites import create_invite, deep_link, qr_png, whatsapp_link
from bot.services.people import Identity, ensure_person
from bot.services.permissions import (
    INVITABLE_ROLES,
    TEAM_ROLES,
    Capability,
    may_invite,
    membership_in,
)
from bot.texts import role_name
from storage.models import Enterprise, Membership, Person, Role, Team

log = logging.getLogger(__name__)

# One keyboard stays usable on a phone; a programme with more enterprises uses the CLI.
ENTERPRISES_SHOWN = 30
# A worker invite usually goes on a poster for the whole team; other roles are personal.
USES_BY_ROLE = {Role.WORKER: 50}
INVITE_DAYS = 14


def _roles_step(membership: Membership) -> tuple[str, object]:
    roles = [(role, role_name(role)) for role in INVITABLE_ROLES[membership.role]]
    text = _("Whom do you want to invite to {enterprise}?").format(
        enterprise=html.quote(membership.enterprise.name)
    )
    return text, role_keyboard(membership.enterprise_id, roles)


def _as_programme_admin(enterprise: Enterprise) -> Membership:
    """A programme administrator acts as an admin of any enterprise. The membership is never
    stored: it exists for the length of one update."""
    return Membership(role=Role.ADMIN, enterprise_id=enterprise.id, enterprise=enterprise)


async def start_invite(
    message: Message,
    allowed_memberships: list[Membership],
    programme_admin: bool,
    session: AsyncSession,
) -> None:
    choices = list(allowed_memberships)
    if programme_admin:
        mine = {m.enterprise_id for m in choices}
        others = await list_enterprises(session, limit=ENTERPRISES_SHOWN)
        choices += [_as_programme_admin(e) for e in others if e.id not in mine]
    if not choices:
        await message.answer(_("There is no enterprise yet. Create one with "
                               "<code>scorebot admin enterprise create</code>."))
        return
    if len(choices) > 1:
        await message.answer(
            _("For which enterprise?"),
            reply_markup=enterprise_keyboard(choices[:ENTERPRISES_SHOWN]),
        )
        return
    text, markup = _roles_step(choices[0])
    await message.answer(text, reply_markup=markup)


async def invite_step(
    query: CallbackQuery,
    callback_data: InviteCallback,
    allowed_memberships: list[Membership],
    programme_admin: bool,
    person: Person | None,
    identity: Identity,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    locale: str,
    settings: Settings,
    tx: UpdateTransaction,
) -> None:
    membership = membership_in(allowed_memberships, callback_data.enterprise_id)
    if membership is None and programme_admin:
        enterprise = await session.get(Enterprise, callback_data.enterprise_id)
        membership = _as_programme_admin(enterprise) if enterprise is not None else None
    if membership is None:
        await refuse_button(query, "enterprise not among the person's memberships")
        return
    if not callback_data.role:
        text, markup = _roles_step(membership)
        await query.answer()
        await replace_message(bot, query, text, markup)
        return
    try:
        role = Role(callback_data.role)
    except ValueError:
        await refuse_button(query, "unknown role")
        return

    team: Team | None = None
    if role in TEAM_ROLES:
        if membership.role == Role.TEAM_LEAD:
            team = membership.team
        elif callback_data.team_id == 0:
            teams = await teams_of(session, membership.enterprise_id)
            await query.answer()
            if not teams:
                await replace_message(
                    bot, query, _("Your enterprise has no improvement team yet. Ask your "
                                  "administrator to create one.")
                )
                return
            await replace_message(
                bot, query, _("Which team?"),
                team_keyboard(membership.enterprise_id, role, teams),
            )
            return
        else:
            team = await session.get(Team, callback_data.team_id)
            if team is None or team.enterprise_id != membership.enterprise_id:
                await refuse_button(query, "team outside the person's enterprise")
                return
    if not may_invite(membership, role, team.id if team else None):
        await refuse_button(query, f"{membership.role} may not invite {role} here")
        return

    if person is None:  # a programme administrator who has never joined an enterprise
        person = await ensure_person(session, identity)
    invite = await create_invite(
        session,
        enterprise=membership.enterprise,
        team=team,
        role=role,
        clock=clock,
        uses=USES_BY_ROLE.get(role, 1),
        days=INVITE_DAYS,
        created_by=person,
    )
    me = await bot.me()
    telegram_link = deep_link(me.username or "", invite.token)
    link = telegram_link
    if settings.whatsapp_enabled and settings.whatsapp_number:
        # The same token joins on WhatsApp ("JOIN <token>"); "WhatsApp" is a name, untranslated.
        link += "\n\nWhatsApp: " + whatsapp_link(settings.whatsapp_number, invite.token)
    enterprise_name = html.quote(membership.enterprise.name)
    if team is not None:
        heading = _("Invite for a new {role} in the team “{team}” at {enterprise}:").format(
            role=role_name(role), team=html.quote(team.name), enterprise=enterprise_name
        )
    else:
        heading = _("Invite for a new {role} at {enterprise}:").format(
            role=role_name(role), enterprise=enterprise_name
        )
    uses = _("It can be used once.", "It can be used {count} times.",
             invite.remaining_uses).format(count=invite.remaining_uses)
    text = "\n\n".join(
        [
            heading,
            link,
            _("It works until {date}.").format(
                date=format_date(invite.expires_at, locale, membership.enterprise.timezone)
            )
            + " "
            + uses,
            _("Send the link, or print the QR code below for the notice board."),
        ]
    )
    await tx.commit()  # the link is shown only once it works
    await tx.tell(text, query=query)
    with contextlib.suppress(TelegramAPIError):  # the link above is enough
        await bot.send_photo(
            query.from_user.id,
            BufferedInputFile(qr_png(telegram_link), filename="invite.png"),
            caption=_("Scan to join {enterprise}").format(enterprise=enterprise_name),
        )
    log.info("person %s created invite %s (%s)", person.id, invite.id, role)


def build_router() -> Router:
    router = private_router("invites")
    needs_invite = {"capability": Capability.INVITE}
    router.message.register(start_invite, Command("invite"), flags=needs_invite)
    router.callback_query.register(invite_step, InviteCallback.filter(), flags=needs_invite)
    return router
