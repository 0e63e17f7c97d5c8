"""/help: what this person's roles let them do."""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command
from aiogram.types import Message

from bot.commands import commands_for
from bot.handlers.common import private_router
from bot.handlers.onboarding import how_to_join_text
from bot.i18n import _
from bot.keyboards.menu import main_menu
from bot.texts import role_name
from storage.models import Membership


def programme_admin_text() -> str:
    """What a programme administrator may really do without a role in an enterprise."""
    return _("You are a programme administrator: you can invite people into any enterprise "
             "(/invite) and see the programme's figures (/report). To follow an enterprise "
             "(/teams, its KPIs, escalations and digests) you need a role in it, as its "
             "consultant or administrator.")


def help_text(memberships: list[Membership], programme_admin: bool = False) -> str:
    lines = [_("Here is what I can do for you:"), ""]
    lines += [
        f"/{spec.name} — {spec.description}"
        for spec in commands_for(memberships, programme_admin)
    ]
    if memberships or programme_admin:
        lines.append("")
    if programme_admin:
        lines.append(programme_admin_text())
    if memberships:
        for membership in memberships:
            lines.append(
                _("Your role at {enterprise}: {role}.").format(
                    role=role_name(membership.role),
                    enterprise=html.quote(membership.enterprise.name),
                )
            )
    return "\n".join(lines)


async def show_help(
    message: Message, memberships: list[Membership], programme_admin: bool
) -> None:
    text = help_text(memberships, programme_admin)
    if not memberships and not programme_admin:
        text = how_to_join_text() + "\n\n" + text
    # The main menu comes with the help: the way back to the big buttons.
    await message.answer(text, reply_markup=main_menu(memberships, programme_admin))


def build_router() -> Router:
    router = private_router("help")
    router.message.register(show_help, Command("help"))
    return router
