"""Demo data: two enterprises, their teams, and a person of each role, so the console has
someone to be. Seeding is idempotent: a second run finds the data and leaves it alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.enterprises import create_enterprise, create_team
from bot.services.kpis import enable_kpi, local_today, week_of
from bot.services.people import Identity, ensure_person
from storage.models import Enterprise, Invite, KpiValue, Membership, Role

DEMO_DATABASE_URL = "sqlite+aiosqlite:///scorebot-demo.db"
# A fixed, well-known token so the README and the console banner can name it.
DEMO_INVITE_TOKEN = "demo-join-cutting"


@dataclass(frozen=True)
class DemoPerson:
    telegram_id: int
    name: str
    language_code: str
    role: Role
    enterprise: str
    team: str | None = None


ACCRA = "Accra Garments Ltd"
SAIGON = "Saigon Auto Parts"

DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(1001, "Ama Mensah", "en", Role.WORKER, ACCRA, "Cutting room"),
    DemoPerson(1002, "Kofi Boateng", "en", Role.TEAM_LEAD, ACCRA, "Cutting room"),
    DemoPerson(1003, "Efua Owusu", "fr", Role.MANAGER, ACCRA),
    DemoPerson(1004, "Nguyễn Văn An", "vi", Role.WORKER, SAIGON, "Stamping"),
    DemoPerson(1005, "Trần Thị Mai", "vi", Role.MANAGER, SAIGON),
    DemoPerson(1006, "Lucía Quispe", "es", Role.CONSULTANT, ACCRA),
    DemoPerson(1007, "Budi Santoso", "id", Role.ADMIN, SAIGON),
)
# The consultant follows both enterprises.
EXTRA_MEMBERSHIPS = ((1006, SAIGON, Role.CONSULTANT),)


async def seed_demo(session: AsyncSession, clock: Clock) -> bool:
    """Create the demo data unless it is there. Returns True when it created it."""
    if await session.scalar(select(Enterprise.id).where(Enterprise.name == ACCRA)):
        return False
    accra = await create_enterprise(
        session, name=ACCRA, country="GH", timezone="Africa/Accra", default_locale="en",
        sector="Garments", actor_label="demo", now=clock.now(),
    )
    saigon = await create_enterprise(
        session, name=SAIGON, country="VN", timezone="Asia/Ho_Chi_Minh", default_locale="vi",
        sector="Auto parts", actor_label="demo", now=clock.now(),
    )
    enterprises = {ACCRA: accra, SAIGON: saigon}
    teams = {
        (enterprise.name, name): await create_team(
            session, enterprise, name, actor_label="demo", now=clock.now()
        )
        for enterprise, name in (
            (accra, "Cutting room"), (accra, "Sewing line 2"), (saigon, "Stamping")
        )
    }
    people = {}
    for demo in DEMO_PEOPLE:
        person = await ensure_person(
            session, Identity(demo.telegram_id, demo.name, demo.language_code)
        )
        people[demo.telegram_id] = person
        team = teams[(demo.enterprise, demo.team)] if demo.team else None
        session.add(
            Membership(
                person_id=person.id,
                enterprise_id=enterprises[demo.enterprise].id,
                team_id=team.id if team else None,
                role=demo.role,
            )
        )
    for telegram_id, enterprise_name, role in EXTRA_MEMBERSHIPS:
        session.add(
            Membership(
                person_id=people[telegram_id].id,
                enterprise_id=enterprises[enterprise_name].id,
                role=role,
            )
        )
    session.add(
        Invite(
            token=DEMO_INVITE_TOKEN,
            enterprise_id=accra.id,
            team_id=teams[(ACCRA, "Cutting room")].id,
            role=Role.WORKER,
            expires_at=clock.now() + timedelta(days=365),
            remaining_uses=1000,
        )
    )
    await session.flush()
    await _kpi_history(session, accra, clock)
    return True


# Eight weeks of figures for the Accra demo enterprise: defects falling, delivery improving.
DEMO_KPIS = {
    "defect_rate": (6.0, 2.0, [6.1, 5.8, 5.9, 5.2, 4.8, 4.9, 4.1, 3.6]),
    "on_time_delivery": (78.0, 95.0, [77, 80, 79, 83, 85, 84, 88, 90]),
    "absenteeism": (7.5, 4.0, [7.8, 7.2, 7.6, 6.9, 6.5, 6.8, 6.1, 6.3]),
}


async def _kpi_history(session: AsyncSession, enterprise: Enterprise, clock: Clock) -> None:
    today = local_today(clock.now(), enterprise.timezone)
    this_week = week_of(today)
    for key, (baseline, target, figures) in DEMO_KPIS.items():
        kpi = await enable_kpi(session, enterprise, key, baseline=baseline, target=target,
                               now=clock.now(), actor_label="demo")
        for weeks_ago, value in enumerate(reversed(figures), start=1):
            session.add(KpiValue(enterprise_kpi_id=kpi.id, value=float(value),
                                 week=this_week - timedelta(weeks=weeks_ago),
                                 entered_at=clock.now()))
