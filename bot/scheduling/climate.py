"""The monthly pulse survey of each team: it opens on the enterprise's pulse day, reminds once
those who have not answered, and closes with the Working Climate Index for the team, its
managers and consultants. Each step happens once per round (PulseRound); only in daytime, on
working days, and never to someone who paused. Only teams whose next pulse moment has come are
read (`teams.next_pulse_at`: the opening, or the open round's reminder or closing)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import Wave
from bot.presenters import climate as ui
from bot.scheduling.context import JobContext
from bot.services import climate, lessons
from bot.services.next_due import next_pulse_at, teams_due
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
        wave = Wave(ctx.i18n, now)
        looked_at = await teams_due(session, Team.next_pulse_at, now)
        # One query for the due teams' open rounds and this month's, not one per team.
        rounds = await climate.rounds_of(session, [team.id for team, _e in looked_at],
                                         {_month(enterprise, now) for _t, enterprise in looked_at})
        for team, enterprise in looked_at:
            month = _month(enterprise, now)
            mine = rounds.get(team.id, [])
            if awake(enterprise, now):
                for pulse in [p for p in mine if p.closed_at is None]:
                    if now >= pulse.closes_at:
                        queued += await _close(wave, session, pulse, team, enterprise)
                    elif pulse.reminded_at is None and now >= pulse.reminder_due_at:
                        queued += await _remind(wave, session, pulse, enterprise)
                due = climate.pulse_due(enterprise, now)
                if (due is not None and team.created_at <= due[1] - climate.SETTLE_IN
                        and not any(p.month == month for p in mine)):
                    opened, told = await _open(wave, session, team, enterprise, *due)
                    queued += told
                    mine.append(opened)
            team.next_pulse_at = next_pulse_at(
                team, enterprise, [p for p in mine if p.closed_at is None],
                any(p.month == month for p in mine), now)
        await wave.write(session)
    return queued


def _month(enterprise: Enterprise, now: datetime) -> date:
    return climate.month_of(now.astimezone(ZoneInfo(enterprise.timezone)).date())


async def _open(wave: Wave, session: AsyncSession, team: Team, enterprise: Enterprise,
                month: date, slot: datetime) -> tuple[PulseRound, int]:
    pulse = await climate.open_round(session, team, month, slot, wave.now)
    people = await climate.still_to_answer(session, pulse)
    wave.tell(people, kind="pulse", enterprise=enterprise,
              render=partial(ui.question, pulse, "", team=team.name))
    log.info("team %s: pulse survey for %s sent to %s people", team.id, month, len(people))
    return pulse, len(people)


async def _remind(wave: Wave, session: AsyncSession, pulse: PulseRound,
                  enterprise: Enterprise) -> int:
    pulse.reminded_at = wave.now
    return wave.tell(await climate.still_to_answer(session, pulse), kind="pulse_reminder",
                     enterprise=enterprise,
                     render=partial(ui.question, pulse, "", reminder=True))


async def _close(wave: Wave, session: AsyncSession, pulse: PulseRound, team: Team,
                 enterprise: Enterprise) -> int:
    pulse.closed_at = wave.now
    await climate.count_ballots(session, pulse)
    await session.flush()
    latest, previous = await climate.team_climate(session, team.id)
    assert latest is not None
    people = await climate.audience(session, team)
    wave.tell(people, kind="pulse_result", enterprise=enterprise,
              render=lambda locale: ui.closed_notice(team.name, latest, previous, locale))
    log.info("team %s: pulse survey for %s closed", team.id, pulse.month)
    return len(people)
