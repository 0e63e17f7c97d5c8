"""The weekly KPI check-in on each enterprise's day and hour: the invitation to its team
leads and managers, a reminder at the end of that day, and a nudge to the managers the next
morning if it is still not done. Each happens once per week (CheckinRound). Only enterprises
whose next check-in moment has come are read (`enterprises.next_checkin_at`); the next one is
stored with what is queued."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar, cast

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import READER_COLUMNS, Reader, Wave
from bot.presenters import kpis as ui
from bot.scheduling.context import JobContext
from bot.services import kpis
from bot.services.next_due import due, next_checkin_at
from bot.services.planner import few
from storage.bulk import execute_many
from storage.models import CheckinRound, Enterprise, EnterpriseKpi, Membership, Person, Role

T = TypeVar("T")


async def run_checkins(ctx: JobContext) -> int:
    """A few statements whatever the number of enterprises due: their KPI counts, this
    week's rounds and the people to tell are read at once, not once per enterprise; new
    rounds, changed rounds, next moments and messages are written with one statement per
    5,000 rows (a `Wave`: each message rendered once per enterprise and locale)."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session, session.begin():
        # The columns the check-in reads, as tuples: a wave has thousands of enterprises.
        # Core columns, not the ORM's: no ORM result processing for thousands of rows.
        enterprises = _table(Enterprise)
        looked_at = [Due(*row) for row in await session.execute(
            select(*(enterprises.c[field] for field in Due._fields))
            .where(due(session, enterprises.c.next_checkin_at, now))
            .order_by(enterprises.c.id).with_for_update())]
        if not looked_at:
            return 0
        ids = [enterprise.id for enterprise in looked_at]
        weeks = {tz: kpis.local_week(now, tz) for tz in {e.timezone for e in looked_at}}
        active: dict[int, int] = {}
        rounds: dict[tuple[int, date], tuple[int, Round]] = {}
        for chunk in _chunks(ids):
            active.update((await session.execute(
                select(EnterpriseKpi.enterprise_id, func.count())
                .where(EnterpriseKpi.active.is_(True),
                       few(session, EnterpriseKpi.enterprise_id.in_(chunk)))
                .group_by(EnterpriseKpi.enterprise_id))).all())
            # Read as rows: their changes are written below in one statement each kind, not
            # flushed object by object.
            rounds.update({(r.enterprise_id, r.week): (r.id, (r.week, r.reminded_at, r.nudged_at,
                                                              r.completed_at))
                           for r in await session.execute(
                select(CheckinRound.id, CheckinRound.enterprise_id, CheckinRound.week,
                       CheckinRound.reminded_at, CheckinRound.nudged_at,
                       CheckinRound.completed_at).where(
                    few(session, CheckinRound.enterprise_id.in_(chunk)),
                    CheckinRound.week >= min(weeks.values())))})
        told: list[tuple[Due, str, int]] = []
        opened: list[tuple[int, date]] = []  # enterprise, week
        changed: dict[str, list[tuple[int]]] = {"reminded_at": [], "nudged_at": []}  # round
        moments: list[tuple[int, datetime]] = []  # enterprise, its next moment
        decided: dict[tuple[Any, ...], tuple[str | None, datetime]] = {}
        for enterprise in looked_at:
            week = weeks[enterprise.timezone]
            count = active.get(enterprise.id, 0)
            round_id, state = rounds.get((enterprise.id, week), (None, None))
            # Enterprises alike in all the rules read are decided alike: decided once.
            key = (enterprise.timezone, enterprise.checkin_weekday, enterprise.checkin_hour,
                   bool(count), state)
            if key not in decided:
                decided[key] = _decide(Enterprise(
                    timezone=enterprise.timezone, checkin_weekday=enterprise.checkin_weekday,
                    checkin_hour=enterprise.checkin_hour), week, state, bool(count), now)
            what, moment = decided[key]
            if what == "invite":
                opened.append((enterprise.id, week))
            elif what is not None:
                changed[STAMPS[what]].append((cast(int, round_id),))
            if what is not None:
                told.append((enterprise, what, count))
            if moment != enterprise.next_checkin_at:
                moments.append((enterprise.id, moment))
        await _write(session, now, opened, changed, moments)
        if not told:
            return 0
        wave = Wave(ctx.i18n, now)
        people = await _reporters(session, {enterprise.id for enterprise, _w, _c in told})
        keyboards: dict[str, InlineKeyboardMarkup] = {}
        queued = sum(_tell(wave, enterprise, what, count, people.get(enterprise.id, []),
                           keyboards) for enterprise, what, count in told)
        await wave.write(session)
    return queued


async def _write(session: AsyncSession, now: datetime, opened: list[tuple[int, date]],
                 changed: dict[str, list[tuple[int]]],
                 moments: list[tuple[int, datetime]]) -> None:
    """New rounds (enterprise, week), rounds reminded or nudged (by id) now, and next
    moments (enterprise, moment): one statement each kind, run by the driver for all rows
    (`storage.bulk`)."""
    rounds, enterprises = _table(CheckinRound), _table(Enterprise)
    await execute_many(session, insert(rounds), ("enterprise_id", "week"), opened,
                       common={"opened_at": now})
    for column, values in changed.items():
        await execute_many(session, update(rounds).where(rounds.c.id == bindparam("round"))
                           .values({column: bindparam("at")}), ("round",), values,
                           common={"at": now})
    await execute_many(session, update(enterprises)
                       .where(enterprises.c.id == bindparam("enterprise"))
                       .values(next_checkin_at=bindparam("at")), ("enterprise", "at"), moments)


STAMPS = {"remind": "reminded_at", "nudge": "nudged_at"}  # what a round records of each
class Due(NamedTuple):
    """An enterprise whose check-in moment has come, as far as the check-in reads it."""

    id: int
    name: str
    timezone: str
    checkin_weekday: int
    checkin_hour: int
    default_locale: str
    next_checkin_at: datetime | None


# A week's round as the rules read it: week, reminded_at, nudged_at, completed_at.
Round = tuple[date, datetime | None, datetime | None, datetime | None]


def _decide(enterprise: Enterprise, week: date, state: Round | None, has_kpis: bool,
            now: datetime) -> tuple[str | None, datetime]:
    """What to tell this week ("invite", "remind", "nudge" or nothing) and the next moment
    to look, by the rules of bot.services.kpis. They read the enterprise's timezone,
    check-in day and hour (all `enterprise` holds), whether it has KPIs and its week's round:
    nothing else."""
    round_ = None if state is None else CheckinRound(
        week=state[0], reminded_at=state[1], nudged_at=state[2], completed_at=state[3])
    what = None
    if kpis.checkin_due(enterprise, now) is not None and has_kpis:
        if round_ is None:
            if kpis.invitation_may_go(enterprise, week, now):  # else: the morning
                round_, what = CheckinRound(week=week, opened_at=now), "invite"
        elif kpis.reminder_due(enterprise, round_, now):
            round_.reminded_at, what = now, "remind"
        elif kpis.nudge_due(enterprise, round_, now):
            round_.nudged_at, what = now, "nudge"
    return what, next_checkin_at(enterprise, round_, has_kpis, now)


def _table(model: type[Any]) -> Table:
    """A model's Core table: statements on its columns skip the ORM's work per row."""
    return cast(Table, model.__table__)


def _chunks(items: list[T], size: int = 5000) -> list[list[T]]:
    """Items in lists short enough for one statement's parameters (SQLite allows 32,766)."""
    return [items[start:start + size] for start in range(0, len(items), size)]


async def _reporters(session: AsyncSession, enterprise_ids: set[int]) -> dict[
    int, list[tuple[Role, Reader]]
]:
    """Managers and team leads who can be written to, per enterprise, in one query per
    5,000 enterprises (the same people as kpis.reporters, in the same order): only what a
    message needs of them. Sorted here: ordered by person in SQL, SQLite reads `people`
    whole in that order."""
    found: dict[int, list[tuple[Role, Reader]]] = {}
    members, persons = _table(Membership), _table(Person)  # Core: no ORM work per row
    for chunk in _chunks(sorted(enterprise_ids)):
        rows = await session.execute(
            select(members.c.enterprise_id, members.c.role,
                   *(persons.c[column.key] for column in READER_COLUMNS))
            .join(persons, members.c.person_id == persons.c.id)
            .where(members.c.role.in_((Role.MANAGER, Role.TEAM_LEAD)),
                   few(session, members.c.enterprise_id.in_(chunk)),
                   persons.c.blocked_bot.is_(False)))
        for enterprise_id, role, person_id, chat_id, locale, language in rows:
            found.setdefault(enterprise_id, []).append(
                (role, Reader(person_id, chat_id, locale, language)))
    for people in found.values():
        people.sort(key=lambda found_one: found_one[1].id)
    return found


def _tell(wave: Wave, enterprise: Due, what: str, count: int,
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
