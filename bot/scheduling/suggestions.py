"""Ideas on the bot's own initiative.

- At the top of each hour the anonymous ideas held during it reach their reviewers, all at
  once, and each sender hears its number (`release_anonymous_ideas`).
- Each Monday morning (enterprise time) every team hears how many ideas came in and were
  implemented in the past week, and named contributors are thanked. Anonymous ones never are.
  Only teams whose summary moment has come are read (`teams.next_summary_at`)."""

from __future__ import annotations

import logging
from functools import partial

from bot.notify import Wave, notify
from bot.presenters import suggestions as ui
from bot.review_cards import tell_reviewers
from bot.scheduling.context import JobContext
from bot.services import lessons, suggestions
from bot.services.next_due import next_summary_at, summary_week, teams_due
from storage.models import Suggestion, Team

log = logging.getLogger(__name__)


async def release_anonymous_ideas(ctx: JobContext) -> int:
    """The held anonymous ideas whose hour has come, to their reviewers and senders; one
    indexed read when none is due (`held_suggestions.release_at`)."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session, session.begin():
        released = await suggestions.release_held(session, now, ctx.relay_key)
        for idea in released:
            await tell_reviewers(session, ctx.i18n, idea.suggestion, idea.enterprise, now)
            if idea.submitter is not None:
                notify(session, ctx.i18n, idea.submitter, kind="suggestion_released", now=now,
                       enterprise=idea.enterprise, render=partial(_released, idea.suggestion))
    if released:
        log.info("%d anonymous suggestions released", len(released))
    return len(released)


def _released(suggestion: Suggestion, _locale: str) -> str:
    return ui.released(suggestion)


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
