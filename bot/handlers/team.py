"""/team: your enterprise, your team and who is in it."""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.common import pack_messages, private_router
from bot.handlers.help import programme_admin_text
from bot.i18n import _
from bot.services.enterprises import teams_of
from bot.services.people import member_counts, team_members
from bot.services.permissions import ENTERPRISE_WIDE_ROLES, Capability
from bot.texts import role_name
from storage.models import Membership, Role

# Long teams are cut short so one message stays readable on a small screen.
MEMBERS_SHOWN = 40
_ROLE_RANK = {role: rank for rank, role in enumerate(Role)}


async def _team_block(session: AsyncSession, membership: Membership) -> list[str]:
    enterprise = membership.enterprise
    lines = [
        f"<b>{html.quote(enterprise.name)}</b>",
        _("Your role: {role}").format(role=role_name(membership.role)),
    ]
    if membership.role in ENTERPRISE_WIDE_ROLES:
        teams = await teams_of(session, enterprise.id)
        counts = await member_counts(session, enterprise.id)
        lines.append(_("Improvement teams:"))
        for team in teams:
            count = counts.get(team.id, 0)
            lines.append(
                "• "
                + _("{team}: {count} member", "{team}: {count} members", count).format(
                    team=html.quote(team.name), count=count
                )
            )
        if not teams:
            lines.append(_("No teams yet."))
        return lines
    if membership.team is None:
        return lines
    lines.append(_("Your team: {team}").format(team=html.quote(membership.team.name)))
    members = sorted(
        await team_members(session, membership.team.id),
        key=lambda m: (-_ROLE_RANK[m.role], m.person.display_name.lower()),
    )
    for member in members[:MEMBERS_SHOWN]:
        lines.append(f"• {html.quote(member.person.display_name)} ({role_name(member.role)})")
    if len(members) > MEMBERS_SHOWN:
        hidden = len(members) - MEMBERS_SHOWN
        lines.append(_("…and {count} more", "…and {count} more", hidden).format(count=hidden))
    return lines


async def show_team(
    message: Message, session: AsyncSession, allowed_memberships: list[Membership]
) -> None:
    if not allowed_memberships:  # a programme administrator who is in no enterprise
        await message.answer(
            programme_admin_text()
            + "\n"
            + _("Send /invite to invite the first manager of an enterprise.")
        )
        return
    lines: list[str] = []
    for membership in allowed_memberships:
        if lines:
            lines.append("")
        lines += await _team_block(session, membership)
    for text in pack_messages(lines):
        await message.answer(text)


def build_router() -> Router:
    router = private_router("team")
    router.message.register(show_team, Command("team"), flags={"capability": Capability.SEE_TEAM})
    return router
