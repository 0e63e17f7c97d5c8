"""Every button's data, as aiogram CallbackData factories.

Button data comes back from the phone and can be forged, so handlers re-check everything a
button names (an enterprise, a team, a role) against the person's memberships. Each factory
stays within Telegram's 64-byte limit even with the largest ids; a test checks it.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LanguageCallback(CallbackData, prefix="lang"):
    code: str


class InviteCallback(CallbackData, prefix="inv"):
    """Steps of /invite: pick the enterprise, then the role, then the team (team roles)."""

    enterprise_id: int
    role: str = ""
    team_id: int = 0


ALL_FACTORIES: tuple[type[CallbackData], ...] = (LanguageCallback, InviteCallback)
