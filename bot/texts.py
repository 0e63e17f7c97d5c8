"""Translated names for things the bot talks about, in one place."""

from __future__ import annotations

from bot.i18n import _
from storage.models import Role


def role_name(role: Role) -> str:
    names = {
        Role.WORKER: _("worker"),
        Role.TEAM_LEAD: _("team lead"),
        Role.MANAGER: _("manager"),
        Role.CONSULTANT: _("SCORE consultant"),
        Role.ADMIN: _("administrator"),
    }
    return names[role]
