"""Bulk data for the benchmarks, written with Core inserts (thousands of rows a statement):
enterprises of ten people each (a manager, a team lead and eight workers in one team), three
KPIs each, lessons already delivered and opened, this month's pulse survey open, and every
next-due moment stored as a running bot would have left it at `now` (computed once per
timezone: every enterprise of one timezone has the same schedule). `due_teams` teams (in UTC)
get their lessons on Wednesdays at 05:00 instead, so that exactly that many waves are due
then, whatever the size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Float, String, case, insert, literal, null, select, text
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.content.loader import curriculum
from bot.services import climate, next_due
from bot.services.kpis import CATALOGUE
from bot.services.lessons import latest_slot
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import (
    Enterprise,
    EnterpriseKpi,
    LessonDelivery,
    Membership,
    Person,
    PulseRound,
    Role,
    Team,
)

PEOPLE_PER_ENTERPRISE = 10
TIMEZONES = ("UTC", "Africa/Accra", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "America/Lima",
             "Asia/Kolkata", "Africa/Johannesburg")
KPI_KEYS = ("defect_rate", "on_time_delivery", "absenteeism")
CREATED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
FIRST_PERSON = 1_000_000  # Telegram ids start here
CHUNK = 5000
CHECKIN_HOUR = 7  # every enterprise's check-in is open and in daytime on Friday 13:00 UTC
DUE_DAYS, DUE_HOUR = "3", 5  # the due teams' lessons: Wednesday 05:00 (UTC)


def telegram_id(enterprise: int, n: int) -> int:
    return FIRST_PERSON + (enterprise - 1) * PEOPLE_PER_ENTERPRISE + n


async def fresh_database(url: str) -> AsyncEngine:
    """An empty, migrated database at `url` (PostgreSQL: its public schema is dropped)."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    return engine


async def _insert(engine: AsyncEngine, table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(insert(table), rows[start:start + CHUNK])


def _numbers(count: int) -> Any:
    """1..count as a recursive CTE (column `i`): rows made by the database, not sent to it."""
    numbers = select(literal(1).label("i")).cte("numbers", recursive=True)
    return numbers.union_all(select((numbers.c.i + 1).label("i")).where(numbers.c.i < count))


async def _people(engine: AsyncEngine, enterprises: int, lessons: list[Any]) -> None:
    """People, memberships, KPIs and delivered lessons with INSERT ... SELECT over numbers:
    person i is the n-th ((i - 1) % 10) of enterprise (i - 1) / 10 + 1, with Telegram id
    `telegram_id(e, n)` (the manager first, then the team lead, then workers)."""
    people = _numbers(enterprises * PEOPLE_PER_ENTERPRISE)
    i = people.c.i
    e, n = (i - 1) // PEOPLE_PER_ENTERPRISE + 1, (i - 1) % PEOPLE_PER_ENTERPRISE
    person, member = Person.__table__.c, Membership.__table__.c
    false = literal(False, Boolean)
    statements = [
        insert(Person.__table__).from_select(
            ["id", "telegram_id", "display_name", "locale", "telegram_language", "blocked_bot",
             "paused", "voice_first", "created_at"],
            select(i, i + (FIRST_PERSON - 1),
                   literal("U") + cast_(i + (FIRST_PERSON - 1), String),
                   null(), literal("en"), false, false, false,
                   literal(CREATED, person.created_at.type))),
        insert(Membership.__table__).from_select(
            ["id", "person_id", "enterprise_id", "team_id", "role", "joined_at"],
            select(i, i, e, case((n == 0, null()), else_=e),
                   case((n == 0, literal(Role.MANAGER, member.role.type)),
                        (n == 1, literal(Role.TEAM_LEAD, member.role.type)),
                        else_=literal(Role.WORKER, member.role.type)),
                   literal(CREATED, member.joined_at.type))),
    ]
    delivery = LessonDelivery.__table__.c
    for k, lesson in enumerate(lessons):
        sent = CREATED + timedelta(days=2 * k + 1)
        at = literal(sent, delivery.sent_at.type)
        opened = literal(sent + timedelta(hours=1), delivery.opened_at.type)
        statements.append(insert(LessonDelivery.__table__).from_select(
            ["person_id", "team_id", "lesson_id", "scheduled", "sent_at", "opened_at",
             "answered_at", "chosen_option", "correct", "reviews_sent", "missed_reported"],
            select(i, e, literal(lesson.id), literal(True, Boolean), at, opened, opened,
                   literal(lesson.answer), literal(True, Boolean), literal(0), false)
            .where(n != 0)))
    owners = _numbers(enterprises)
    kpi = EnterpriseKpi.__table__.c
    for position, key in enumerate(KPI_KEYS):
        definition = CATALOGUE[key]
        statements.append(insert(EnterpriseKpi.__table__).from_select(
            ["enterprise_id", "key", "names", "unit", "higher_is_better", "low", "high",
             "baseline", "target", "position", "active"],
            select(owners.c.i, literal(key), literal({}, kpi.names.type),
                   literal(definition.unit), literal(definition.higher_is_better, Boolean),
                   literal(definition.low, Float), literal(definition.high, Float),
                   literal(10.0, Float),
                   literal(5.0 if not definition.higher_is_better else 20.0, Float),
                   literal(position), literal(True, Boolean))))
    for statement in statements:
        async with engine.begin() as connection:
            await connection.execute(statement)


def due_team_ids(enterprises: int, due_teams: int) -> list[int]:
    """The teams (one per enterprise, same id) whose wave is due on Wednesday 05:00 UTC."""
    return [e for e in range(1, enterprises + 1) if TIMEZONES[e % len(TIMEZONES)] == "UTC"][
        :due_teams]


def _schedules(now: datetime, summary_week: date | None) -> dict[tuple[str, bool], dict[
        str, Any]]:
    """Per (timezone, due team?): the team's and enterprise's stored state and moments."""
    found = {}
    for timezone in TIMEZONES:
        for due in (False, True):
            enterprise = Enterprise(timezone=timezone, checkin_weekday=5,
                                    checkin_hour=CHECKIN_HOUR, pulse_workday=1, pulse_hour=10,
                                    pulse_every_months=1, created_at=CREATED)
            team = Team(created_at=CREATED, lesson_weekdays=DUE_DAYS if due else "2,4",
                        lesson_hour=DUE_HOUR if due else 10, lesson_minute=0,
                        suggestions_summary_for=summary_week)
            team.lessons_sent_for = latest_slot(team, timezone, now)
            month = climate.month_of(now.astimezone(ZoneInfo(timezone)).date())
            slot = climate.pulse_slot(enterprise, month)
            pulse = PulseRound(month=month, opened_at=slot, reminder_due_at=slot +
                               climate.REMIND_AFTER, closes_at=slot + climate.OPEN_FOR)
            found[timezone, due] = {
                "lessons_sent_for": team.lessons_sent_for,
                "next_lesson_at": next_due.next_lesson_at(team, timezone, now),
                "next_summary_at": next_due.next_summary_at(team, timezone, now),
                "next_pulse_at": next_due.next_pulse_at(team, enterprise, [pulse], True, now),
                "next_checkin_at": next_due.next_checkin_at(enterprise, None, True, now),
                "next_selfcheck_at": next_due.next_selfcheck_at(enterprise, False, now),
                "pulse": (month, slot),
            }
    return found


async def seed(engine: AsyncEngine, enterprises: int, *, lessons_done: int = 2,
               summary_week: date | None = None, now: datetime | None = None,
               due_teams: int = 0) -> int:
    """`enterprises` enterprises of ten people; returns the number of people."""
    schedules = _schedules(now or datetime(2026, 3, 4, 4, 0, tzinfo=UTC), summary_week)
    due_ids = set(due_team_ids(enterprises, due_teams))

    def of(e: int) -> dict[str, Any]:
        return schedules[TIMEZONES[e % len(TIMEZONES)], e in due_ids]

    for first in range(1, enterprises + 1, CHUNK):  # a chunk at a time: a million fits
        chunk = range(first, min(first + CHUNK, enterprises + 1))
        await _insert(engine, Enterprise.__table__, [
            {"id": e, "name": f"Enterprise {e}", "country": "GH", "sector": "Bench",
             "timezone": TIMEZONES[e % len(TIMEZONES)], "default_locale": "en",
             "lesson_reminder_hours": 24, "suggestion_stall_days": 7, "checkin_weekday": 5,
             "checkin_hour": CHECKIN_HOUR, "created_at": CREATED,
             "next_checkin_at": of(e)["next_checkin_at"],
             "next_selfcheck_at": of(e)["next_selfcheck_at"]} for e in chunk])
        await _insert(engine, Team.__table__, [
            {"id": e, "enterprise_id": e, "name": "Production", "created_at": CREATED,
             "lesson_weekdays": DUE_DAYS if e in due_ids else "2,4",
             "lesson_hour": DUE_HOUR if e in due_ids else 10, "lesson_minute": 0,
             "current_module": 1, "suggestions_summary_for": summary_week,
             "lessons_sent_for": of(e)["lessons_sent_for"],
             "next_lesson_at": of(e)["next_lesson_at"],
             "next_summary_at": of(e)["next_summary_at"],
             "next_pulse_at": of(e)["next_pulse_at"]} for e in chunk])
        await _insert(engine, PulseRound.__table__, [
            {"team_id": e, "month": of(e)["pulse"][0], "statements": list(climate.STATEMENTS),
             "opened_at": of(e)["pulse"][1],
             "reminder_due_at": of(e)["pulse"][1] + climate.REMIND_AFTER,
             "closes_at": of(e)["pulse"][1] + climate.OPEN_FOR} for e in chunk])
    await _people(engine, enterprises, curriculum().lessons[:lessons_done])
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            for table in ("enterprises", "teams", "people", "memberships"):
                await connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
            await connection.execute(text("ANALYZE"))
    else:
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    return enterprises * PEOPLE_PER_ENTERPRISE
