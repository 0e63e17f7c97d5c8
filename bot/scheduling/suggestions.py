"""Each Monday morning (enterprise time) every team hears how many ideas came in and were
implemented in the past week, and named contributors are thanked. Anonymous ones never are."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.notify import notify
from bot.presenters import suggestions as ui
from bot.scheduling.context import JobContext
from bot.services import lessons, suggestions

log = logging.getLogger(__name__)

SUMMARY_WEEKDAY = 1  # Monday
SUMMARY_TIME = time(9, 0)


def summary_week(now: datetime, timezone: str) -> date | None:
    """The Monday of this week, if its summary time has passed in the enterprise's timezone."""
    local = now.astimezone(ZoneInfo(timezone))
    monday = local.date() - timedelta(days=local.isoweekday() - SUMMARY_WEEKDAY)
    due = datetime.combine(monday, SUMMARY_TIME, ZoneInfo(timezone))
    return monday if local >= due else None


async def send_weekly_summaries(ctx: JobContext) -> int:
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        for team, enterprise in await lessons.teams_with_enterprise(session):
            week = summary_week(now, enterprise.timezone)
            if week is None or (team.suggestions_summary_for or week.min) >= week:
                continue
            team.suggestions_summary_for = week
            came_in, implemented, names = await suggestions.week_summary(session, team.id, now)
            if not came_in and not implemented:
                continue
            def render(_locale: str, came_in: int = came_in, implemented: int = implemented,
                       names: list[str] = names) -> str:
                return ui.weekly_recognition(came_in, implemented, names)

            for person in await lessons.team_members_to_teach(session, team):
                notify(session, ctx.i18n, person, kind="suggestions_week", now=now,
                       enterprise=enterprise, render=render)
                sent += 1
    return sent
