"""Small builders for test data, through the same services the bot uses."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services.enterprises import create_enterprise, create_team
from bot.services.invites import create_invite
from storage.models import Enterprise, Invite, Role, Team


async def enterprise_with_team(
    session_factory: async_sessionmaker[AsyncSession],
    name: str = "Kumasi Metal Works",
    team_name: str = "Welding",
    *,
    country: str = "GH",
    timezone: str = "Africa/Accra",
    locale: str = "en",
    clock: Clock | None = None,
) -> tuple[Enterprise, Team]:
    now = clock.now() if clock else None
    async with session_factory() as session, session.begin():
        enterprise = await create_enterprise(
            session, name=name, country=country, timezone=timezone, default_locale=locale,
            now=now,
        )
        team = await create_team(session, enterprise, team_name, now=now)
    return enterprise, team


async def invite(
    session_factory: async_sessionmaker[AsyncSession],
    enterprise: Enterprise,
    team: Team | None,
    role: Role,
    clock: Clock,
    *,
    uses: int = 1,
    days: int = 14,
) -> Invite:
    async with session_factory() as session, session.begin():
        enterprise = await session.merge(enterprise)
        team = await session.merge(team) if team is not None else None
        return await create_invite(
            session, enterprise=enterprise, team=team, role=role, clock=clock, uses=uses,
            days=days,
        )
