"""The weekly KPI check-in on each enterprise's day and hour: the invitation to its team
leads and managers, a reminder at the end of that day, and a nudge to the managers the next
morning if it is still not done. Each happens once per week (CheckinRound)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select

from bot.notify import notify
from bot.presenters import kpis as ui
from bot.scheduling.context import JobContext
from bot.services import kpis
from storage.models import CheckinRound, Enterprise, Role


async def run_checkins(ctx: JobContext) -> int:
    now = ctx.clock.now()
    queued = 0
    async with ctx.session_factory() as session, session.begin():
        for enterprise in list(await session.scalars(select(Enterprise))):
            active = await kpis.active_kpis(session, enterprise.id)
            week = kpis.checkin_due(enterprise, now)
            if not active or week is None:
                continue
            round_ = await session.scalar(select(CheckinRound).where(
                CheckinRound.enterprise_id == enterprise.id, CheckinRound.week == week))
            if round_ is None:
                session.add(CheckinRound(enterprise_id=enterprise.id, week=week, opened_at=now))
                queued += await _tell(ctx, session, enterprise, "invite", len(active))
            elif kpis.reminder_due(enterprise, round_, now):
                round_.reminded_at = now
                queued += await _tell(ctx, session, enterprise, "remind", len(active))
            elif kpis.nudge_due(enterprise, round_, now):
                round_.nudged_at = now
                queued += await _tell(ctx, session, enterprise, "nudge", len(active))
    return queued


async def _tell(ctx: JobContext, session, enterprise: Enterprise, what: str, count: int) -> int:  # type: ignore[no-untyped-def]
    roles = (Role.MANAGER,) if what == "nudge" else (Role.MANAGER, Role.TEAM_LEAD)
    people = await kpis.reporters(session, enterprise.id, roles)

    def render(_locale: str) -> tuple[str, InlineKeyboardMarkup]:
        if what == "invite":
            return ui.invitation(enterprise.name, count), ui.start_keyboard()
        if what == "remind":
            return ui.reminder(enterprise.name), ui.start_keyboard()
        return ui.manager_nudge(enterprise.name), ui.start_keyboard()

    for person in people:
        notify(session, ctx.i18n, person, kind=f"checkin_{what}", now=ctx.clock.now(),
               enterprise=enterprise, default_locale=ctx.default_locale, render=render)
    return len(people)
