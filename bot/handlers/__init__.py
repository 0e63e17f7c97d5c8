"""aiogram routers, one per feature. Handlers are thin: parse, authorize, call a service,
reply. The order matters: the catch-all router comes last."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import errors, fallback, groups, help, invites, language, onboarding, team


def feature_routers() -> list[Router]:
    return [
        errors.router,
        onboarding.router,
        help.router,
        language.router,
        team.router,
        invites.router,
        groups.router,
        fallback.router,  # last: answers whatever nothing else did
    ]
