"""The stall scan: finds what is stuck, resolves what moved again, and tells the next level of
the ladder (on working days, in daytime, in the enterprise's timezone). Every level is told
once: the stall's level is raised in the same transaction that queues its messages."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import Rendered, notify, notify_group
from bot.presenters import escalation as ui
from bot.scheduling.context import JobContext
from bot.services import escalation
from bot.services.lessons import is_working_daytime
from bot.services.outbox import ALERT_KIND
from storage.models import Enterprise, GroupChat, GroupChatLink, Person, Stall

log = logging.getLogger(__name__)


async def groups_following(session: AsyncSession, enterprise_id: int) -> list[GroupChat]:
    return list(await session.scalars(
        select(GroupChat).join(GroupChatLink, GroupChatLink.group_chat_id == GroupChat.id)
        .where(GroupChatLink.enterprise_id == enterprise_id).order_by(GroupChat.id)))


async def alert_consultants(ctx: JobContext, session: AsyncSession, subject: escalation.Subject,
                            people: list[Person], now: datetime, *,
                            again: bool = False) -> None:
    """The consultant's alert, by direct message and in every group following the
    enterprise."""
    def render(locale: str) -> Rendered:
        return ui.to_consultant(subject, now, locale, again=again)

    for person in people:
        notify(session, ctx.i18n, person, kind=ALERT_KIND, now=now,
               enterprise=subject.enterprise, render=render)
    for group in await groups_following(session, subject.enterprise.id):
        notify_group(session, ctx.i18n, group, kind=ALERT_KIND, now=now,
                     enterprise=subject.enterprise, render=render)


async def _tell_next_level(ctx: JobContext, session: AsyncSession, stall: Stall,
                           now: datetime) -> None:
    subject = await escalation.subject_of(session, stall)
    if subject is None:
        escalation.resolve(session, stall, now, why="subject gone")
        return
    if escalation.snooze_over(stall, now):
        escalation.wake(session, stall, now)
        await alert_consultants(ctx, session, subject,
                                await escalation.consultants(session, stall.enterprise_id),
                                now, again=True)
        return
    if not escalation.climb_due(stall, subject.enterprise, now):
        return
    level, people = await escalation.climb(session, stall, now)
    log.info("stall %s (%s %s) escalated to level %s, %s people", stall.id, stall.kind.value,
             stall.subject_id, level, len(people))
    if level == escalation.CONSULTANT:
        await alert_consultants(ctx, session, subject, people, now)
        return
    for person in people:
        notify(session, ctx.i18n, person, kind=f"stall_level_{level}", now=now,
               enterprise=subject.enterprise,
               render=lambda locale: ui.to_enterprise(subject, level, now, locale))


async def escalate_stalls(ctx: JobContext) -> None:
    now = ctx.clock.now()
    async with ctx.session_factory() as session, session.begin():
        for stall in await escalation.sync(session, now):
            enterprise = await session.get(Enterprise, stall.enterprise_id)
            if enterprise is None or not is_working_daytime(now, enterprise.timezone):
                continue
            try:
                # One stall's failure must not hold back the others' escalations.
                async with session.begin_nested():
                    await _tell_next_level(ctx, session, stall, now)
            except Exception:
                log.exception("escalating stall %s failed", stall.id)
