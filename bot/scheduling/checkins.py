"""The weekly KPI check-in on each enterprise's day and hour: the invitation to its team
leads and managers, a reminder at the end of that day, and a nudge to the managers the next
morning if it is still not done. Each happens once per week (CheckinRound)."""

from __future__ import annotations

from sqlalchemy import select

from bot.presenters import kpis as ui
from bot.presenters.lessons import as_json
from bot.scheduling.context import JobContext
from bot.services import kpis
from bot.services.outbox import enqueue
from bot.services.people import locale_outside_update
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
    for person in people:
        locale = locale_outside_update(person, enterprise.default_locale, ctx.default_locale)
        with ctx.i18n.speaking(locale):
            if what == "invite":
                text, markup = ui.invitation(enterprise.name, count), ui.start_keyboard()
            elif what == "remind":
                text, markup = ui.reminder(enterprise.name), ui.start_keyboard()
            else:
                text, markup = ui.manager_nudge(enterprise.name), ui.start_keyboard()
        enqueue(session, chat_id=person.telegram_id, person_id=person.id,
                kind=f"checkin_{what}", text=text, reply_markup=as_json(markup),
                now=ctx.clock.now())
    return len(people)
