"""The weekly KPI check-in on each enterprise's day and hour: the invitation to its team
leads and managers, a reminder at the end of that day, and a nudge to the managers the next
morning if it is still not done. Each happens once per week (CheckinRound). Only enterprises
whose next check-in moment has come are read (`enterprises.next_checkin_at`); the next one is
stored with what is queued."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar, cast

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import READER_COLUMNS, Reader, Wave
from bot.presenters import kpis as ui
from bot.scheduling.context import JobContext
from bot.services import kpis
from bot.services.next_due import enterprises_due, next_checkin_at
from bot.services.planner import few
from storage.models import CheckinRound, Enterprise, EnterpriseKpi, Membership, Person, Role

T = TypeVar("T")


async def run_checkins(ctx: JobContext) -> int:
    """A few statements whatever the number of enterprises due: their KPI counts, this
    week's rounds and the people to tell are read at once, not once per enterprise; new
    rounds, changed rounds, next moments and messages are written with one statement per
    5,000 rows (a `Wave`: each message rendered once per enterprise and locale)."""
    now = ctx.clock.now()
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
            # Read as rows, kept as objects outside the session: their changes are written
            # below in one statement each kind, not flushed one by one.
            rounds.update({(r.enterprise_id, r.week): CheckinRound(**r._mapping)
                           for r in await session.execute(
                select(CheckinRound.__table__).where(
                    CheckinRound.enterprise_id.in_(chunk),
                    CheckinRound.week >= min(_weeks(looked_at, now))))})
        told: list[tuple[Enterprise, str, int]] = []
        opened: list[dict[str, Any]] = []
        changed: dict[str, list[dict[str, Any]]] = {"reminded_at": [], "nudged_at": []}
        moments: list[dict[str, Any]] = []
        for enterprise in looked_at:
            week = kpis.local_week(now, enterprise.timezone)
            count = active.get(enterprise.id, 0)
            round_ = rounds.get((enterprise.id, week))
            if kpis.checkin_due(enterprise, now) is not None and count:
                if round_ is None:
                    if kpis.invitation_may_go(enterprise, week, now):  # else: the morning
                        round_ = CheckinRound(enterprise_id=enterprise.id, week=week,
                                              opened_at=now)
                        opened.append({"enterprise_id": enterprise.id, "week": week,
                                       "opened_at": now})
                        told.append((enterprise, "invite", count))
                elif kpis.reminder_due(enterprise, round_, now):
                    round_.reminded_at = now
                    changed["reminded_at"].append({"round": round_.id, "at": now})
                    told.append((enterprise, "remind", count))
                elif kpis.nudge_due(enterprise, round_, now):
                    round_.nudged_at = now
                    changed["nudged_at"].append({"round": round_.id, "at": now})
                    told.append((enterprise, "nudge", count))
            moment = next_checkin_at(enterprise, round_, bool(count), now)
            if moment != enterprise.next_checkin_at:
                moments.append({"enterprise": enterprise.id, "at": moment})
        await _write(session, opened, changed, moments)
        if not told:
            return 0
        wave = Wave(ctx.i18n, now)
        people = await _reporters(session, {enterprise.id for enterprise, _w, _c in told})
        keyboards: dict[str, InlineKeyboardMarkup] = {}
        queued = sum(_tell(wave, enterprise, what, count, people.get(enterprise.id, []),
                           keyboards) for enterprise, what, count in told)
        await wave.write(session)
    return queued


async def _write(session: AsyncSession, opened: list[dict[str, Any]],
                 changed: dict[str, list[dict[str, Any]]],
                 moments: list[dict[str, Any]]) -> None:
    """New rounds, rounds reminded or nudged, and next moments: one statement each kind per
    5,000 rows (an UPDATE by primary key with many parameter sets)."""
    rounds, enterprises = cast(Table, CheckinRound.__table__), cast(Table, Enterprise.__table__)
    for chunk in _chunks(opened):
        await session.execute(insert(rounds), chunk)
    for column, values in changed.items():
        for chunk in _chunks(values):
            await session.execute(update(rounds).where(rounds.c.id == bindparam("round"))
                                  .values({column: bindparam("at")}), chunk)
    for chunk in _chunks(moments):
        await session.execute(
            update(enterprises).where(enterprises.c.id == bindparam("enterprise"))
            .values(next_checkin_at=bindparam("at")), chunk)


def _chunks(items: list[T], size: int = 5000) -> list[list[T]]:
    """Items in lists short enough for one statement's parameters (SQLite allows 32,766)."""
    return [items[start:start + size] for start in range(0, len(items), size)]


def _weeks(enterprises: list[Enterprise], now: datetime) -> set[date]:
    return {kpis.local_week(now, enterprise.timezone) for enterprise in enterprises}


async def _reporters(session: AsyncSession, enterprise_ids: set[int]) -> dict[
    int, list[tuple[Role, Reader]]
]:
    """Managers and team leads who can be written to, per enterprise, in one query per
    5,000 enterprises (the same people as kpis.reporters, in the same order): only what a
    message needs of them. Sorted here: ordered by person in SQL, SQLite reads `people`
    whole in that order."""
    found: dict[int, list[tuple[Role, Reader]]] = {}
    for chunk in _chunks(sorted(enterprise_ids)):
        rows = await session.execute(
            select(Membership.enterprise_id, Membership.role, *READER_COLUMNS)
            .join(Person, Membership.person_id == Person.id)
            .where(Membership.role.in_((Role.MANAGER, Role.TEAM_LEAD)),
                   few(session, Membership.enterprise_id.in_(chunk)),
                   Person.blocked_bot.is_(False)))
        for row in rows:
            found.setdefault(row.enterprise_id, []).append((row.role, Reader.of(row)))
    for people in found.values():
        people.sort(key=lambda found_one: found_one[1].id)
    return found


def _tell(wave: Wave, enterprise: Enterprise, what: str, count: int,
          reporters: list[tuple[Role, Reader]],
          keyboards: dict[str, InlineKeyboardMarkup]) -> int:
    roles = (Role.MANAGER,) if what == "nudge" else (Role.MANAGER, Role.TEAM_LEAD)

    def render(locale: str) -> tuple[str, InlineKeyboardMarkup]:
        # The same button for every enterprise: built once per locale.
        keyboard = keyboards.get(locale) or keyboards.setdefault(locale, ui.start_keyboard())
        if what == "invite":
            return ui.invitation(enterprise.name, count), keyboard
        if what == "remind":
            return ui.reminder(enterprise.name), keyboard
        return ui.manager_nudge(enterprise.name), keyboard

    return wave.tell([person for role, person in reporters if role in roles],
                     kind=f"checkin_{what}", enterprise=enterprise, render=render)
