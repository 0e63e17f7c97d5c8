"""Bulk data for the benchmarks, written with Core inserts (thousands of rows a statement):
enterprises of ten people each (a manager, a team lead and eight workers in one team), three
KPIs each, and lessons already delivered and opened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.content.loader import curriculum
from bot.services.kpis import CATALOGUE
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import (
    Enterprise,
    EnterpriseKpi,
    LessonDelivery,
    Membership,
    Person,
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


async def seed(engine: AsyncEngine, enterprises: int, *, lessons_done: int = 2,
               summary_week: date | None = None) -> int:
    """`enterprises` enterprises of ten people; returns the number of people."""
    ids = range(1, enterprises + 1)
    await _insert(engine, Enterprise.__table__, [
        {"id": e, "name": f"Enterprise {e}", "country": "GH", "sector": "Bench",
         "timezone": TIMEZONES[e % len(TIMEZONES)], "default_locale": "en",
         "lesson_reminder_hours": 24, "suggestion_stall_days": 7, "checkin_weekday": 5,
         "checkin_hour": 14, "created_at": CREATED} for e in ids])
    await _insert(engine, Team.__table__, [
        {"id": e, "enterprise_id": e, "name": "Production", "created_at": CREATED,
         "lesson_weekdays": "2,4", "lesson_hour": 10, "lesson_minute": 0, "current_module": 1,
         "suggestions_summary_for": summary_week} for e in ids])
    people, memberships, kpis, deliveries = [], [], [], []
    lessons = curriculum().lessons[:lessons_done]
    for e in ids:
        for n in range(PEOPLE_PER_ENTERPRISE):
            person_id = telegram_id(e, n) - FIRST_PERSON + 1
            role = Role.MANAGER if n == 0 else Role.TEAM_LEAD if n == 1 else Role.WORKER
            people.append({"id": person_id, "telegram_id": telegram_id(e, n),
                           "display_name": f"U{telegram_id(e, n)}", "locale": None,
                           "telegram_language": "en", "blocked_bot": False, "paused": False,
                           "created_at": CREATED})
            memberships.append({"id": person_id, "person_id": person_id, "enterprise_id": e,
                                "team_id": None if role is Role.MANAGER else e, "role": role,
                                "joined_at": CREATED})
            if role is Role.MANAGER:
                continue
            for k, lesson in enumerate(lessons):
                sent = CREATED + timedelta(days=2 * k + 1)
                deliveries.append({"person_id": person_id, "team_id": e,
                                   "lesson_id": lesson.id, "scheduled": True, "sent_at": sent,
                                   "opened_at": sent + timedelta(hours=1),
                                   "answered_at": sent + timedelta(hours=1),
                                   "chosen_option": lesson.answer, "correct": True,
                                   "reviews_sent": 0, "missed_reported": False})
        for position, key in enumerate(KPI_KEYS):
            definition = CATALOGUE[key]
            kpis.append({"enterprise_id": e, "key": key, "names": {}, "unit": definition.unit,
                         "higher_is_better": definition.higher_is_better,
                         "low": definition.low, "high": definition.high, "baseline": 10.0,
                         "target": 5.0 if not definition.higher_is_better else 20.0,
                         "position": position, "active": True})
    await _insert(engine, Person.__table__, people)
    await _insert(engine, Membership.__table__, memberships)
    await _insert(engine, EnterpriseKpi.__table__, kpis)
    await _insert(engine, LessonDelivery.__table__, deliveries)
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
    return len(people)
