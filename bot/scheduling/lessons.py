"""Scheduled lessons, reminders and reviews: each writes outbox messages in the same
transaction as the delivery records, so a lesson is sent exactly when it is recorded.

Lesson waves read only the teams whose next wave moment has come (`teams.next_lesson_at`,
see bot.services.next_due); each team's wave is one transaction that records the slot sent
and the team's next moment with its lessons, so a restart half-way sends the rest, once."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import Wave, notify
from bot.presenters import lessons as ui
from bot.scheduling.context import JobContext
from bot.services import lessons
from bot.services.next_due import next_lesson_at, teams_due
from bot.services.people import team_leads
from storage.models import Enterprise, Person, Team

log = logging.getLogger(__name__)


async def send_lesson_waves(ctx: JobContext) -> int:
    """Give every team whose lesson time has come its next lesson. Returns lessons queued."""
    now = ctx.clock.now()
    due = []
    async with ctx.session_factory() as session, session.begin():
        for team, enterprise in await teams_due(session, Team.next_lesson_at, now):
            slot = lessons.wave_due(team, enterprise.timezone, now)
            if slot is None:  # not yet (late, at night) or no more: look again when it may be
                team.next_lesson_at = next_lesson_at(team, enterprise.timezone, now)
            else:
                due.append((team.id, slot))
    queued = 0
    for team_id, slot in due:
        try:
            queued += await _send_wave(ctx, team_id, slot)
        except Exception:
            log.exception("lesson wave for team %s at %s failed", team_id, slot)
    return queued


async def _send_wave(ctx: JobContext, team_id: int, slot: datetime) -> int:
    now = ctx.clock.now()
    async with ctx.session_factory() as session, session.begin():
        team = await session.get(Team, team_id, with_for_update=True)
        if team is None:
            return 0
        enterprise = await session.get(Enterprise, team.enterprise_id)
        assert enterprise is not None
        if lessons.wave_due(team, enterprise.timezone, now) != slot:
            return 0  # another process sent it meanwhile
        modules: Counter[int] = Counter()
        queued = 0
        for person in await lessons.team_members_to_teach(session, team):
            await _report_missed_streak(ctx, session, person, team, enterprise)
            lesson = await lessons.next_lesson_for(session, ctx.curriculum, person, team)
            if lesson is None:
                continue
            lessons.record_delivery(session, person, lesson, team, now, scheduled=True)
            notify(session, ctx.i18n, person, kind="lesson", now=now, enterprise=enterprise,
                   render=partial(ui.teaser, lesson))
            modules[lesson.module] += 1
            queued += 1
        team.lessons_sent_for = slot
        team.next_lesson_at = next_lesson_at(team, enterprise.timezone, now)
        if modules:
            team.current_module = modules.most_common(1)[0][0]
        log.info("team %s: %s lessons queued for %s", team.id, queued, slot)
        return queued


async def _report_missed_streak(ctx: JobContext, session: AsyncSession, person: Person,
                                team: Team,
                                enterprise: Enterprise) -> None:
    missed = await lessons.missed_streak(session, person.id)
    if not missed:
        return
    for delivery in missed:
        delivery.missed_reported = True
    for lead in await team_leads(session, team.id):
        if lead.id == person.id:
            continue
        notify(session, ctx.i18n, lead, kind="missed_lessons", now=ctx.clock.now(),
               enterprise=enterprise,
               render=lambda _locale: ui.missed_notice(person.display_name, len(missed)))


async def send_reminders(ctx: JobContext) -> int:
    """One reminder for a lesson left unopened, in daytime only."""
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        wave = Wave(ctx.i18n, now)  # each lesson's reminder rendered once per locale
        for delivery, person, enterprise in await lessons.due_reminders(session, now):
            lesson = ctx.curriculum.get(delivery.lesson_id)
            if lesson is None or not lessons.is_daytime(now, enterprise.timezone):
                continue
            delivery.reminded_at = now
            sent += wave.tell([person], kind="lesson_reminder", enterprise=enterprise,
                              render=partial(ui.reminder, lesson), same_as=lesson.id)
        await wave.write(session)
    return sent


async def send_reviews(ctx: JobContext) -> int:
    """Questions answered wrongly come back a few days later, in daytime."""
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        for delivery, person, enterprise in await lessons.due_reviews(session, now):
            lesson = ctx.curriculum.get(delivery.lesson_id)
            timezone = enterprise.timezone if enterprise else "UTC"
            if lesson is None or not lessons.is_daytime(now, timezone):
                continue
            delivery.review_due_at = None
            delivery.reviews_sent += 1
            notify(session, ctx.i18n, person, kind="lesson_review", now=now,
                   enterprise=enterprise,
                   render=partial(ui.review, lesson))
            sent += 1
    return sent
