"""aiogram routers, one per feature. Handlers are thin: parse, authorize, call a service,
reply. The order matters: the catch-all router comes last."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    actions,
    checkin,
    climate,
    consultant,
    dashboard,
    errors,
    fallback,
    groups,
    help,
    invites,
    language,
    lessons,
    onboarding,
    pictures,
    privacy,
    programme,
    recordings,
    review,
    schedule,
    selfcheck,
    suggestions,
    team,
)


def feature_routers() -> list[Router]:
    """Fresh routers (a router belongs to one dispatcher; tests and benchmarks build many)."""
    modules = [
        errors, onboarding, help, language, privacy, lessons, recordings, pictures,
        schedule, suggestions,
        review, checkin, actions, climate, selfcheck, programme, team, invites, consultant,
        dashboard, groups,
    ]
    # The catch-all comes last: it answers whatever nothing else did.
    return [module.build_router() for module in [*modules, fallback]]
