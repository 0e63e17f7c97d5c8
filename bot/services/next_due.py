"""Next-due moments: when the due-work scan must next look at a team, an enterprise or a group
link, for each kind of scheduled work, stored in UTC in an indexed column of that row:

    teams.next_lesson_at       the lesson wave
    teams.next_summary_at      the weekly suggestion summary
    teams.next_pulse_at        the pulse survey: opening, reminder and closing of its round
    enterprises.next_checkin_at    the KPI check-in: invitation, reminder and nudge
    enterprises.next_selfcheck_at  the quarterly self-check
    group_chat_links.next_digest_at  the weekly digest to that group

The scan reads only rows whose moment has come (`<= now`), decides with the same rules as
ever (`lessons.wave_due`, `kpis.checkin_due`, ...), and stores the next moment in the
transaction that queues the messages. One invariant keeps it safe: a stored moment is never
later than the first moment its rule could say "due"; it may be earlier (the scan then looks,
finds nothing to do, and stores the next one). So:

- every function here returns the earliest moment after `now` at which the rule may fire,
  counting work that is due but waiting (late work waits for working daytime, see
  `bot.services.daytime`), or None when it never will (no lesson days, no pulse survey);
- every change of a schedule, a timezone or a rule recomputes the moments of what it touches
  in its own transaction (`refresh_enterprise`, `refresh_team`, `look_now`);
- a row written without a moment gets `LOOK_NOW` (long past): the next scan computes it. The
  migration that added these columns left every existing row so.

Local times go through `local_moment` (skipped hours run at the first valid moment after,
repeated hours once), in the rules and here alike.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.services import climate
from bot.services.daytime import may_go_now, next_working_daytime, within_grace
from bot.services.groups import digest_starts
from bot.services.kpis import checkin_opens, nudge_at, reminder_at, week_of
from bot.services.lessons import WAVE_GRACE, latest_slot
from bot.services.local_time import local_moment
from bot.services.planner import few
from bot.services.selfcheck import quarter_of
from storage.models import (
    CheckinRound,
    Enterprise,
    EnterpriseKpi,
    GroupChatLink,
    PulseRound,
    SelfCheckRound,
    Team,
)

# The weekly suggestion summary: Monday from 09:00 in the enterprise's timezone.
SUMMARY_WEEKDAY = 1
SUMMARY_TIME = time(9, 0)


def _go_when_allowed(due_at: datetime, now: datetime, timezone: str) -> datetime:
    """Work due at `due_at` and not done yet: now, or (late, at night) the next working
    daytime."""
    return now if may_go_now(due_at, now, timezone) else next_working_daytime(now, timezone)


# --- lessons --------------------------------------------------------------------------------


def next_slot(team: Team, timezone: str, now: datetime) -> datetime | None:
    """The first scheduled lesson moment after `now` (UTC)."""
    zone = ZoneInfo(timezone)
    days = team.weekdays
    if not days:
        return None
    today = now.astimezone(zone).date()
    for ahead in range(9):
        day = today + timedelta(days=ahead)
        if day.isoweekday() in days:
            moment = local_moment(day, time(team.lesson_hour, team.lesson_minute), zone)
            if moment > now:
                return moment
    return None  # pragma: no cover (a weekday comes within a week)


def next_lesson_at(team: Team, timezone: str, now: datetime) -> datetime | None:
    """The next slot, or sooner the latest one if it is still unsent and within its grace."""
    upcoming = next_slot(team, timezone, now)
    slot = latest_slot(team, timezone, now)
    already = team.lessons_sent_for or team.created_at
    if (upcoming is not None and slot is not None and slot > already
            and within_grace(slot, now, timezone, WAVE_GRACE)):
        return min(_go_when_allowed(slot, now, timezone), upcoming)
    return upcoming


# --- the weekly suggestion summary -----------------------------------------------------------


def summary_monday(now: datetime, timezone: str) -> date:
    local = now.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.isoweekday() - SUMMARY_WEEKDAY)


def summary_week(now: datetime, timezone: str) -> date | None:
    """The Monday of this week, if its summary time has passed in the enterprise's timezone."""
    monday = summary_monday(now, timezone)
    return monday if now >= local_moment(monday, SUMMARY_TIME, timezone) else None


def next_summary_at(team: Team, timezone: str, now: datetime) -> datetime:
    monday = summary_monday(now, timezone)
    starts = local_moment(monday, SUMMARY_TIME, timezone)
    if now < starts:
        return starts
    if (team.suggestions_summary_for or date.min) < monday:
        return now
    return local_moment(monday + timedelta(days=7), SUMMARY_TIME, timezone)


# --- the pulse survey ------------------------------------------------------------------------


def next_pulse_at(team: Team, enterprise: Enterprise, open_rounds: list[PulseRound],
                  opened_this_month: bool, now: datetime) -> datetime | None:
    """The next step of the team's open rounds (reminder, closing; in working daytime), or
    the opening of the next survey (sooner, the one of this month if it waits for daytime)."""
    tz = enterprise.timezone
    steps = []
    for pulse in open_rounds:
        if pulse.reminded_at is None:
            steps.append(next_working_daytime(max(pulse.reminder_due_at, now), tz))
        steps.append(next_working_daytime(max(pulse.closes_at, now), tz))
    if enterprise.pulse_every_months > 0:
        month = climate.month_of(now.astimezone(ZoneInfo(tz)).date())
        due = climate.pulse_due(enterprise, now)
        if (due is not None and not opened_this_month
                and team.created_at <= due[1] - climate.SETTLE_IN):
            steps.append(next_working_daytime(now, tz))
        for _ in range(14):  # a survey month comes within a year
            if climate.survey_month(enterprise, month):
                slot = climate.pulse_slot(enterprise, month)
                if slot > now:
                    steps.append(slot)
                    break
            month = climate.month_of(month + timedelta(days=32))
    return min(steps) if steps else None


# --- the KPI check-in ------------------------------------------------------------------------


def next_checkin_at(enterprise: Enterprise, this_week: CheckinRound | None, has_kpis: bool,
                    now: datetime) -> datetime:
    """This week's opening, invitation (if there are KPIs to ask about), reminder or nudge,
    whichever comes first; else next week's opening."""
    tz = enterprise.timezone
    week = week_of(now.astimezone(ZoneInfo(tz)).date())
    opens = checkin_opens(enterprise, week)
    if now < opens:
        return opens
    steps = [checkin_opens(enterprise, week + timedelta(days=7))]
    if this_week is None:
        if has_kpis:
            steps.append(_go_when_allowed(opens, now, tz))
    elif this_week.completed_at is None:
        if this_week.reminded_at is None:
            steps.append(next_working_daytime(max(reminder_at(enterprise, week), now), tz))
        if this_week.nudged_at is None:
            steps.append(next_working_daytime(max(nudge_at(enterprise, week), now), tz))
    return min(steps)


# --- the quarterly self-check ----------------------------------------------------------------


def next_selfcheck_at(enterprise: Enterprise, opened_this_quarter: bool,
                      now: datetime) -> datetime:
    tz = enterprise.timezone
    local = now.astimezone(ZoneInfo(tz)).date()
    quarter = quarter_of(local)
    slot = climate.pulse_slot(enterprise, quarter)
    following = climate.pulse_slot(enterprise, quarter_of(quarter + timedelta(days=100)))
    if now < slot:
        return slot
    if (not opened_this_quarter and local.month == quarter.month
            and enterprise.created_at <= slot - climate.SETTLE_IN):
        return min(next_working_daytime(now, tz), following)
    return following


# --- the weekly digest -----------------------------------------------------------------------


def next_digest_at(link: GroupChatLink, enterprise: Enterprise, now: datetime) -> datetime:
    monday = week_of(now.astimezone(ZoneInfo(enterprise.timezone)).date())
    starts = digest_starts(enterprise, monday)
    if now < starts:
        return starts
    following = digest_starts(enterprise, monday + timedelta(days=7))
    if link.last_digest_week is None or link.last_digest_week < monday:
        return min(_go_when_allowed(starts, now, enterprise.timezone), following)
    return following


# --- what the scan reads: only rows due now (each column is indexed) --------------------------


async def teams_due(session: AsyncSession, column: InstrumentedAttribute[datetime | None],
                    now: datetime) -> list[tuple[Team, Enterprise]]:
    """Teams whose moment in `column` has come, with their enterprise; locked until the scan
    commits (PostgreSQL), so a schedule changed meanwhile is not overwritten."""
    rows = await session.execute(
        select(Team, Enterprise).join(Enterprise, Enterprise.id == Team.enterprise_id)
        .where(due(session, column, now)).order_by(Team.id).with_for_update(of=Team))
    return [(team, enterprise) for team, enterprise in rows]


async def enterprises_due(session: AsyncSession,
                          column: InstrumentedAttribute[datetime | None],
                          now: datetime) -> list[Enterprise]:
    return list(await session.scalars(
        select(Enterprise).where(due(session, column, now)).order_by(Enterprise.id)
        .with_for_update()))


def due(session: AsyncSession,
        column: InstrumentedAttribute[datetime | None] | ColumnElement[datetime | None],
        now: datetime) -> ColumnElement[bool]:
    """`column <= now`: rows due now, read through the column's index. SQLite's planner has
    no histogram: where most rows share a few moments it guesses that the range holds a
    quarter of the table and reads it whole, so it is told (`few`) that few rows match, as
    they do. PostgreSQL's statistics know it already."""
    return few(session, column <= now)


# --- keeping them right when something changes ------------------------------------------------


async def refresh_team(session: AsyncSession, team: Team, enterprise: Enterprise,
                       now: datetime) -> None:
    """Recompute a team's moments (its schedule, its enterprise's timezone or pulse timing
    changed, or it is new)."""
    tz = enterprise.timezone
    team.next_lesson_at = next_lesson_at(team, tz, now)
    team.next_summary_at = next_summary_at(team, tz, now)
    month = climate.month_of(now.astimezone(ZoneInfo(tz)).date())
    rounds = list(await session.scalars(select(PulseRound).where(PulseRound.team_id == team.id)))
    team.next_pulse_at = next_pulse_at(
        team, enterprise, [r for r in rounds if r.closed_at is None and r.id is not None],
        any(r.month == month for r in rounds), now)


async def refresh_enterprise(session: AsyncSession, enterprise: Enterprise,
                             now: datetime) -> None:
    """Recompute the moments of an enterprise, its teams and the groups following it (its
    timezone, check-in or pulse timing changed, or it is new), in the caller's transaction."""
    tz = enterprise.timezone
    if enterprise.id is None:
        await session.flush()
    local = now.astimezone(ZoneInfo(tz)).date()
    week = week_of(local)
    this_week = await session.scalar(select(CheckinRound).where(
        CheckinRound.enterprise_id == enterprise.id, CheckinRound.week == week))
    has_kpis = await session.scalar(select(EnterpriseKpi.id).where(
        EnterpriseKpi.enterprise_id == enterprise.id, EnterpriseKpi.active.is_(True)).limit(1))
    enterprise.next_checkin_at = next_checkin_at(enterprise, this_week, has_kpis is not None,
                                                 now)
    opened = await session.scalar(select(SelfCheckRound.id).where(
        SelfCheckRound.enterprise_id == enterprise.id,
        SelfCheckRound.quarter == quarter_of(local)))
    enterprise.next_selfcheck_at = next_selfcheck_at(enterprise, opened is not None, now)
    for team in await session.scalars(select(Team).where(Team.enterprise_id == enterprise.id)):
        await refresh_team(session, team, enterprise, now)
    for link in await session.scalars(select(GroupChatLink).where(
            GroupChatLink.enterprise_id == enterprise.id)):
        link.next_digest_at = next_digest_at(link, enterprise, now)


def look_now(enterprise: Enterprise, now: datetime) -> None:
    """Something that may make this week's check-in invitation due changed (a KPI is
    tracked now): the scan looks at the enterprise at once."""
    if enterprise.next_checkin_at is None or enterprise.next_checkin_at > now:
        enterprise.next_checkin_at = now
