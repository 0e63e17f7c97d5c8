"""The weekly KPI check-in on each enterprise's day and hour: the invitation to its team
leads and managers, a reminder at the end of that day, and a nudge to the managers the next
morning if it is still not done. Each happens once per week (CheckinRound). Only enterprises
whose next check-in moment has come are read (`enterprises.next_checkin_at`); the next one is
stored with what is queued."""

from __future__ import annotations

from datetime import date, datetime

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import notify
from bot.presenters import kpis as ui
from bot.scheduling.context import JobContext
from bot.services import kpis
from bot.services.next_due import enterprises_due, next_checkin_at
from storage.models import CheckinRound, Enterprise, EnterpriseKpi, Membership, Person, Role


async def run_checkins(ctx: JobContext) -> int:
    """A few queries whatever the number of enterprises due: their KPI counts, this week's
    rounds and the people to tell are read at once, not once per enterprise."""
    now = ctx.clock.now()
    queued = 0
    async with ctx.session_factory() as session, session.begin():
        looked_at = await enterprises_due(session, Enterprise.next_checkin_at, now)
        if not looked_at:
            return 0
        ids = [enterprise.id for enterprise in looked_at]
        active: dict[int, int] = {}
        rounds: dict[tuple[int, date], CheckinRound] = {}
        for chunk in _chunks(ids):
            active.update((await session.execute(
                select(EnterpriseKpi.enterprise_id, func.count())
                .where(EnterpriseKpi.active.is_(True), EnterpriseKpi.enterprise_id.in_(chunk))
                .group_by(EnterpriseKpi.enterprise_id))).all())
            rounds.update({(r.enterprise_id, r.week): r for r in await session.scalars(
                select(CheckinRound).where(CheckinRound.enterprise_id.in_(chunk),
                                           CheckinRound.week >= min(_weeks(looked_at, now))))})
        told: list[tuple[Enterprise, str, int]] = []
        for enterprise in looked_at:
            week = kpis.local_week(now, enterprise.timezone)
            count = active.get(enterprise.id, 0)
            round_ = rounds.get((enterprise.id, week))
            if kpis.checkin_due(enterprise, now) is not None and count:
                if round_ is None:
                    if kpis.invitation_may_go(enterprise, week, now):  # else: the morning
                        round_ = CheckinRound(enterprise_id=enterprise.id, week=week,
                                              opened_at=now)
                        session.add(round_)
                        told.append((enterprise, "invite", count))
                elif kpis.reminder_due(enterprise, round_, now):
                    round_.reminded_at = now
                    told.append((enterprise, "remind", count))
                elif kpis.nudge_due(enterprise, round_, now):
                    round_.nudged_at = now
                    told.append((enterprise, "nudge", count))
            enterprise.next_checkin_at = next_checkin_at(enterprise, round_, bool(count), now)
        if told:
            people = await _reporters(session, {enterprise.id for enterprise, _w, _c in told})
            for enterprise, what, count in told:
                queued += _tell(ctx, session, enterprise, what, count,
                                people.get(enterprise.id, []))
    return queued


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    """Ids in lists short enough for one statement's parameters (SQLite allows 32,766)."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def _weeks(enterprises: list[Enterprise], now: datetime) -> set[date]:
    return {kpis.local_week(now, enterprise.timezone) for enterprise in enterprises}


async def _reporters(session: AsyncSession, enterprise_ids: set[int]) -> dict[
    int, list[tuple[Role, Person]]
]:
    """Managers and team leads who can be written to, per enterprise, in one query per
    5,000 enterprises (the same people as kpis.reporters, in the same order)."""
    found: dict[int, list[tuple[Role, Person]]] = {}
    for chunk in _chunks(sorted(enterprise_ids)):
        rows = await session.execute(
            select(Membership.enterprise_id, Membership.role, Person)
            .join(Person, Membership.person_id == Person.id)
            .where(Membership.role.in_((Role.MANAGER, Role.TEAM_LEAD)),
                   Membership.enterprise_id.in_(chunk), Person.blocked_bot.is_(False))
            .order_by(Person.id))
        for enterprise_id, role, person in rows:
            found.setdefault(enterprise_id, []).append((role, person))
    return found


def _tell(ctx: JobContext, session: AsyncSession, enterprise: Enterprise, what: str,
          count: int, reporters: list[tuple[Role, Person]]) -> int:
    roles = (Role.MANAGER,) if what == "nudge" else (Role.MANAGER, Role.TEAM_LEAD)
    people = [person for role, person in reporters if role in roles]

    def render(_locale: str) -> tuple[str, InlineKeyboardMarkup]:
        if what == "invite":
            return ui.invitation(enterprise.name, count), ui.start_keyboard()
        if what == "remind":
            return ui.reminder(enterprise.name), ui.start_keyboard()
        return ui.manager_nudge(enterprise.name), ui.start_keyboard()

    for person in people:
        notify(session, ctx.i18n, person, kind=f"checkin_{what}", now=ctx.clock.now(),
               enterprise=enterprise, render=render)
    return len(people)
