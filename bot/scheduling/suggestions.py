"""Each Monday morning (enterprise time) every team hears how many ideas came in and were
implemented in the past week, and named contributors are thanked. Anonymous ones never are.
Only teams whose summary moment has come are read (`teams.next_summary_at`)."""

from __future__ import annotations

import logging

from bot.notify import Wave
from bot.presenters import suggestions as ui
from bot.scheduling.context import JobContext
from bot.services import lessons, suggestions
from bot.services.next_due import next_summary_at, summary_week, teams_due
from storage.models import Team

log = logging.getLogger(__name__)


async def send_weekly_summaries(ctx: JobContext) -> int:
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        wave = Wave(ctx.i18n, now)  # each team's summary rendered once per locale
        for team, enterprise in await teams_due(session, Team.next_summary_at, now):
            week = summary_week(now, enterprise.timezone)
            if week is None or (team.suggestions_summary_for or week.min) >= week:
                team.next_summary_at = next_summary_at(team, enterprise.timezone, now)
                continue
            team.suggestions_summary_for = week
            team.next_summary_at = next_summary_at(team, enterprise.timezone, now)
            came_in, implemented, names = await suggestions.week_summary(session, team.id, now)
            if not came_in and not implemented:
                continue
            def render(_locale: str, came_in: int = came_in, implemented: int = implemented,
                       names: list[str] = names) -> str:
                return ui.weekly_recognition(came_in, implemented, names)

            sent += wave.tell(await lessons.team_members_to_teach(session, team),
                              kind="suggestions_week", enterprise=enterprise, render=render)
        await wave.write(session)
    return sent
