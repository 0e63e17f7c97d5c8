"""The monthly pulse survey of each team: it opens on the enterprise's pulse day, reminds once
those who have not answered, and closes with the Working Climate Index for the team, its
managers and consultants. Each step happens once per round (PulseRound); only in daytime, on
working days, and never to someone who paused."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import notify
from bot.presenters import climate as ui
from bot.scheduling.context import JobContext
from bot.services import climate, lessons
from storage.models import Enterprise, PulseRound, Team

log = logging.getLogger(__name__)


def awake(enterprise: Enterprise, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(enterprise.timezone)).date()
    return climate.working_day(local) and lessons.is_daytime(now, enterprise.timezone)


async def run_pulse_surveys(ctx: JobContext) -> int:
    """Open, remind and close pulse rounds that are due. Returns messages queued."""
    now = ctx.clock.now()
    queued = 0
    async with ctx.session_factory() as session, session.begin():
        due_teams = []
        for team, enterprise in await lessons.teams_with_enterprise(session):
            due = climate.pulse_due(enterprise, now)
            if due is not None and awake(enterprise, now) and (
                    team.created_at <= due[1] - climate.SETTLE_IN):
                due_teams.append((team, enterprise, *due))
        # One query for the rounds already open, not one per team every minute.
        opened = await climate.rounds_opened(session, {month for *_, month, _ in due_teams})
        for team, enterprise, month, slot in due_teams:
            if (team.id, month) in opened:
                continue
            pulse = await climate.open_round(session, team, month, slot, now)
            people = await climate.still_to_answer(session, pulse)
            for person in people:
                notify(session, ctx.i18n, person, kind="pulse", now=now, enterprise=enterprise,
                       render=partial(ui.question, pulse, "", team=team.name))
            log.info("team %s: pulse survey for %s sent to %s people", team.id, month,
                     len(people))
            queued += len(people)
        for pulse, team, enterprise in await climate.open_rounds_of(session):
            if not awake(enterprise, now):
                continue
            if now >= pulse.closes_at:
                queued += await _close(ctx, session, pulse, team, enterprise)
            elif pulse.reminded_at is None and now >= pulse.reminder_due_at:
                pulse.reminded_at = now
                people = await climate.still_to_answer(session, pulse)
                for person in people:
                    notify(session, ctx.i18n, person, kind="pulse_reminder", now=now,
                           enterprise=enterprise,
                           render=partial(ui.question, pulse, "", reminder=True))
                queued += len(people)
    return queued


async def _close(ctx: JobContext, session: AsyncSession, pulse: PulseRound, team: Team,
                 enterprise: Enterprise) -> int:
    now = ctx.clock.now()
    pulse.closed_at = now
    await climate.count_ballots(session, pulse)
    await session.flush()
    latest, previous = await climate.team_climate(session, team.id)
    assert latest is not None
    people = await climate.audience(session, team)
    for person in people:
        notify(session, ctx.i18n, person, kind="pulse_result", now=now, enterprise=enterprise,
               render=lambda locale: ui.closed_notice(team.name, latest, previous, locale))
    log.info("team %s: pulse survey for %s closed", team.id, pulse.month)
    return len(people)
