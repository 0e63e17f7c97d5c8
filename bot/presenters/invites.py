"""What /invite shows: the invite's link, for how long and how often it works."""

from __future__ import annotations

from aiogram import html

from bot import formatting as fmt
from bot.i18n import _
from bot.texts import role_name
from storage.models import Enterprise, Invite, Role, Team


def invite_text(invite: Invite, link: str, role: Role, team: Team | None,
                enterprise: Enterprise, locale: str) -> str:
    enterprise_name = html.quote(enterprise.name)
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
    until = _("It works until {date}.").format(
        date=fmt.day(invite.expires_at, locale, enterprise.timezone))
    return "\n\n".join([
        heading, link, until + " " + uses,
        _("Send the link, or print the QR code below for the notice board."),
    ])


def qr_caption(enterprise: Enterprise) -> str:
    return _("Scan to join {enterprise}").format(enterprise=html.quote(enterprise.name))
