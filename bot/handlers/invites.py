"""/invite: team leads, managers, consultants and admins create invite links and QR codes.

Steps (each a button, each its own handler): enterprise (when the person serves several),
role, team (for team roles). Every step re-checks what the button names, because button data
can be forged.

```mermaid
stateDiagram-v2
    [*] --> enterprise: /invite, by someone in several enterprises
    [*] --> role: /invite, in one enterprise
    enterprise --> role: choose_role
    role --> team: a team role (choose_team; a team lead's own team is taken)
    role --> [*]: another role: the link and QR code (create)
    team --> [*]: the team picked: the link and QR code (create)
```
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import _
from bot.keyboards.builders import enterprise_keyboard, role_keyboard, team_keyboard
from bot.keyboards.callbacks import InviteCallback
from bot.presenters import invites as ui
from bot.replies import UpdateTransaction
from bot.services.enterprises import list_enterprises, teams_of
from bot.services.invites import (
    USES_BY_ROLE,
    create_invite,
    deep_link,
    enterprise_by_id,
    qr_png,
    team_named,
    whatsapp_link,
)
from bot.services.people import Identity, ensure_person
from bot.services.permissions import (
    INVITABLE_ROLES,
    TEAM_ROLES,
    Capability,
    as_programme_admin,
    may_invite,
    membership_in,
)
from bot.texts import role_name
from storage.models import Membership, Person, Role, Team

log = logging.getLogger(__name__)

# One keyboard stays usable on a phone; a programme with more enterprises uses the CLI.
ENTERPRISES_SHOWN = 30
INVITE_DAYS = 14


def _roles_step(membership: Membership) -> tuple[str, InlineKeyboardMarkup]:
    roles = [(role, role_name(role)) for role in INVITABLE_ROLES[membership.role]]
    text = _("Whom do you want to invite to {enterprise}?").format(
        enterprise=html.quote(membership.enterprise.name)
    )
    return text, role_keyboard(membership.enterprise_id, roles)


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
        choices += [as_programme_admin(e) for e in others if e.id not in mine]
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


async def _inviting_as(query: CallbackQuery, callback_data: InviteCallback,
                      allowed_memberships: list[Membership], programme_admin: bool,
                      session: AsyncSession) -> Membership | None:
    """The membership the button's enterprise is invited to as (a programme administrator's
    made up for the update), or None, the button refused."""
    membership = membership_in(allowed_memberships, callback_data.enterprise_id)
    if membership is None and programme_admin:
        enterprise = await enterprise_by_id(session, callback_data.enterprise_id)
        membership = as_programme_admin(enterprise) if enterprise is not None else None
    if membership is None:
        await refuse_button(query, "enterprise not among the person's memberships")
    return membership


async def choose_role(query: CallbackQuery, callback_data: InviteCallback,
                      allowed_memberships: list[Membership], programme_admin: bool,
                      session: AsyncSession, bot: Bot) -> None:
    """The enterprise picked: whom to invite?"""
    membership = await _inviting_as(query, callback_data, allowed_memberships,
                                    programme_admin, session)
    if membership is None:
        return
    text, markup = _roles_step(membership)
    await query.answer()
    await replace_message(bot, query, text, markup)


async def choose_team(query: CallbackQuery, callback_data: InviteCallback,
                      allowed_memberships: list[Membership], programme_admin: bool,
                      person: Person | None, identity: Identity, session: AsyncSession,
                      deps: Deps, bot: Bot, locale: str, tx: UpdateTransaction) -> None:
    """A team role picked: which team? (A team lead invites to their own.)"""
    membership = await _inviting_as(query, callback_data, allowed_memberships,
                                    programme_admin, session)
    if membership is None:
        return
    assert callback_data.role is not None  # the filter
    if membership.role == Role.TEAM_LEAD:
        await _create(query, membership, callback_data.role, membership.team, person, identity,
                      session, deps, bot, locale, tx)
        return
    teams = await teams_of(session, membership.enterprise_id)
    await query.answer()
    if not teams:
        await replace_message(bot, query, _("Your enterprise has no improvement team yet. Ask "
                                            "your administrator to create one."))
        return
    await replace_message(bot, query, _("Which team?"),
                          team_keyboard(membership.enterprise_id, callback_data.role, teams))


async def create(query: CallbackQuery, callback_data: InviteCallback,
                 allowed_memberships: list[Membership], programme_admin: bool,
                 person: Person | None, identity: Identity, session: AsyncSession,
                 deps: Deps, bot: Bot, locale: str, tx: UpdateTransaction) -> None:
    """The role (and, for team roles, the team) picked: the invite is made."""
    membership = await _inviting_as(query, callback_data, allowed_memberships,
                                    programme_admin, session)
    if membership is None:
        return
    role = callback_data.role
    assert role is not None  # the filter
    team: Team | None = None
    if role in TEAM_ROLES:
        team = membership.team if membership.role == Role.TEAM_LEAD else await team_named(
            session, membership, callback_data.team_id)
        if team is None:
            await refuse_button(query, "team outside the person's enterprise")
            return
    await _create(query, membership, role, team, person, identity, session, deps, bot, locale,
                  tx)


async def _create(query: CallbackQuery, membership: Membership, role: Role, team: Team | None,
                  person: Person | None, identity: Identity, session: AsyncSession,
                  deps: Deps, bot: Bot, locale: str, tx: UpdateTransaction) -> None:
    if not may_invite(membership, role, team.id if team else None):
        await refuse_button(query, f"{membership.role} may not invite {role} here")
        return
    if person is None:  # a programme administrator who has never joined an enterprise
        person = await ensure_person(session, identity)
    invite = await create_invite(session, enterprise=membership.enterprise, team=team,
                                 role=role, clock=deps.clock, uses=USES_BY_ROLE.get(role, 1),
                                 days=INVITE_DAYS, created_by=person)
    me = await bot.me()
    telegram_link = deep_link(me.username or "", invite.token)
    link = telegram_link
    settings = deps.settings
    if settings.whatsapp_enabled and settings.whatsapp_number:
        # The same token joins on WhatsApp ("JOIN <token>"); "WhatsApp" is a name, untranslated.
        link += "\n\nWhatsApp: " + whatsapp_link(settings.whatsapp_number, invite.token)
    await tx.commit()  # the link is shown only once it works
    await tx.tell(ui.invite_text(invite, link, role, team, membership.enterprise, locale),
                  query=query)
    with contextlib.suppress(TelegramAPIError):  # the link above is enough
        await bot.send_photo(query.from_user.id,
                             BufferedInputFile(qr_png(telegram_link), filename="invite.png"),
                             caption=ui.qr_caption(membership.enterprise))
    log.info("person %s created invite %s (%s)", person.id, invite.id, role)


def build_router() -> Router:
    router = private_router("invites")
    needs_invite = {"capability": Capability.INVITE}
    step = router.callback_query.register
    step(choose_role, InviteCallback.filter(F.role.is_(None)), flags=needs_invite)
    step(choose_team, InviteCallback.filter(F.role.in_(TEAM_ROLES) & (F.team_id == 0)),
         flags=needs_invite)
    step(create, InviteCallback.filter(F.role.is_not(None)), flags=needs_invite)
    router.message.register(start_invite, Command("invite"), flags=needs_invite)
    return router
