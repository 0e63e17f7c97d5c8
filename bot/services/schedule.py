"""A team's lesson schedule: the weekdays and the hour its lessons arrive. Lessons come in
working hours, never at night, and on at least one day a week."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.enterprises import teams_of
from bot.services.errors import InvalidValue
from bot.services.next_due import next_lesson_at
from storage.models import Enterprise, Membership, Person, Team

EARLIEST_HOUR, LATEST_HOUR = 6, 20


async def schedulable_teams(session: AsyncSession, memberships: list[Membership]) -> list[Team]:
    """A team lead's own team; every team of a manager's (consultant's, admin's) enterprise."""
    teams: list[Team] = []
    for membership in memberships:
        if membership.team is not None:
            teams.append(membership.team)
        else:
            teams += await teams_of(session, membership.enterprise_id)
    return teams


async def team_and_enterprise(session: AsyncSession,
                              team_id: int) -> tuple[Team, Enterprise] | None:
    team = await session.get(Team, team_id)
    enterprise = await session.get(Enterprise, team.enterprise_id) if team else None
    return (team, enterprise) if team is not None and enterprise is not None else None


def toggle_day(session: AsyncSession, team: Team, enterprise: Enterprise, day: int,
               person: Person, now: datetime) -> None:
    """Add or remove a weekday (1 Monday to 7 Sunday); InvalidValue("last_day") rather than
    leave the team without lessons."""
    if not 1 <= day <= 7:
        raise InvalidValue("day", f"no weekday {day}")
    days = set(team.weekdays) ^ {day}
    if not days:
        raise InvalidValue("last_day", "a team keeps at least one lesson day")
    team.lesson_weekdays = ",".join(str(d) for d in sorted(days))
    _record(session, team, enterprise, person, now)


def move_hour(session: AsyncSession, team: Team, enterprise: Enterprise, by: int,
              person: Person, now: datetime) -> None:
    """An hour earlier (-1) or later (1); InvalidValue("hour") outside working hours."""
    if by not in (-1, 1):
        raise InvalidValue("by", f"an hour at a time, not {by}")
    hour = team.lesson_hour + by
    if not EARLIEST_HOUR <= hour <= LATEST_HOUR:
        raise InvalidValue("hour", f"lessons arrive from {EARLIEST_HOUR} to {LATEST_HOUR}")
    team.lesson_hour = hour
    _record(session, team, enterprise, person, now)


def _record(session: AsyncSession, team: Team, enterprise: Enterprise, person: Person,
            now: datetime) -> None:
    """The audit entry, and the next wave moved to the new schedule in the same transaction."""
    team.next_lesson_at = next_lesson_at(team, enterprise.timezone, now)
    audit.record(session, "team.schedule", actor_id=person.id,
                 enterprise_id=team.enterprise_id, subject="team", subject_id=team.id,
                 weekdays=team.lesson_weekdays, hour=team.lesson_hour)
