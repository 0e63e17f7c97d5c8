"""Demo data: two enterprises, their teams, and a person of each role, so the console has
someone to be; and five more garment factories in Ghana with half a year of results (KPIs,
suggestions, lessons, a pulse survey, a self-check), so `scorebot report` has a group of five
enterprises to show. Seeding is idempotent: a second run finds the data and leaves it alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.loader import curriculum
from bot.services import climate, selfcheck
from bot.services.enterprises import create_enterprise, create_team
from bot.services.kpis import enable_kpi, local_today, week_of
from bot.services.people import Identity, ensure_person
from storage.models import (
    Enterprise,
    Invite,
    KpiValue,
    LessonDelivery,
    Membership,
    PulseParticipant,
    PulseRound,
    PulseTally,
    Role,
    SelfCheckAnswer,
    SelfCheckRound,
    Suggestion,
    SuggestionStatus,
)

DEMO_DATABASE_URL = "sqlite+aiosqlite:///scorebot-demo.db"
TOUR_DATABASE_URL = "sqlite+aiosqlite:///scorebot-tour.db"
# Charts, workbooks and QR codes the bot sends in the console, and the log.
DEMO_FILES_DIR = Path("scorebot-demo-files")
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
            # The teams have worked together for the eight weeks of KPI figures below, so
            # the monthly pulse survey comes to them too.
            session, enterprise, name, actor_label="demo", now=clock.now() - timedelta(weeks=8)
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
    for number, name in enumerate(PEERS):
        await _programme_peer(session, clock, number, name)
    return True


# Eight weeks of figures for the Accra demo enterprise: defects falling, delivery improving.
DEMO_KPIS: dict[str, tuple[float, float, list[float]]] = {
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


# Other garment factories of the programme in Ghana, with a few workers each and half a year
# of results: what programme managers compare with `scorebot report`.
PEERS = ("Kumasi Apparel", "Tema Textiles", "Takoradi Stitch", "Cape Coast Wear", "Ho Uniforms")
PEER_WORKERS = ("Abena", "Yaw", "Akosua", "Kwame", "Adwoa")
# Per KPI: baseline, target, the latest figures (better by the factory's number).
PEER_KPIS: dict[str, tuple[float, float, list[float]]] = {
    "defect_rate": (6.5, 3.0, [6.2, 5.5, 5.0]),
    "on_time_delivery": (75.0, 92.0, [78, 82, 85]),
    "absenteeism": (8.0, 4.5, [7.6, 7.1, 6.8]),
}


async def _programme_peer(session: AsyncSession, clock: Clock, number: int, name: str) -> None:
    now = clock.now()
    joined = now - timedelta(days=180)
    enterprise = await create_enterprise(
        session, name=name, country="GH", timezone="Africa/Accra", default_locale="en",
        sector="Garments", actor_label="demo", now=joined)
    team = await create_team(session, enterprise, "Sewing", actor_label="demo", now=joined)
    workers = []
    for index, first in enumerate(PEER_WORKERS):
        person = await ensure_person(session, Identity(
            2000 + 10 * number + index, f"{first} ({name.split()[0]})", "en"))
        session.add(Membership(person_id=person.id, enterprise_id=enterprise.id,
                               team_id=team.id, role=Role.WORKER, joined_at=joined))
        workers.append(person)
    await session.flush()
    this_week = week_of(local_today(now, enterprise.timezone))
    for key, (baseline, target, figures) in PEER_KPIS.items():
        kpi = await enable_kpi(session, enterprise, key, baseline=baseline, target=target,
                               now=joined, actor_label="demo")
        step = (target - baseline) * 0.05 * number
        for weeks_ago, value in enumerate(reversed(figures), start=1):
            session.add(KpiValue(enterprise_kpi_id=kpi.id, value=float(value) + step,
                                 week=this_week - timedelta(weeks=weeks_ago), entered_at=now))
    for index in range(2 + number):
        session.add(Suggestion(
            enterprise_id=enterprise.id, team_id=team.id, author_id=workers[index % 5].id,
            text="Move the thread rack next to the machines", status=SuggestionStatus.IMPLEMENTED,
            created_at=now - timedelta(days=60 + index), updated_at=now,
            implemented_at=now - timedelta(days=30 + index)))
    for position, lesson in enumerate(curriculum().lessons[:4]):
        for index, person in enumerate(workers):
            answered = (index + position + number) % 4 != 0
            session.add(LessonDelivery(
                person_id=person.id, team_id=team.id, lesson_id=lesson.id,
                sent_at=joined + timedelta(days=7 * position),
                opened_at=joined + timedelta(days=7 * position) if answered else None,
                answered_at=joined + timedelta(days=7 * position, hours=1) if answered else None,
                chosen_option=lesson.answer if answered else None, correct=answered or None))
    await _past_pulse(session, team.id, workers, now, number)
    await _past_selfcheck(session, enterprise, workers[0], now, number)


async def _past_pulse(session: AsyncSession, team_id: int, workers, now, number: int) -> None:  # type: ignore[no-untyped-def]
    month = climate.previous_month(climate.month_of(now.date()))
    pulse = PulseRound(team_id=team_id, month=month, statements=list(climate.STATEMENTS),
                       opened_at=now - timedelta(days=25), reminder_due_at=now,
                       closes_at=now - timedelta(days=18), reminded_at=None,
                       closed_at=now - timedelta(days=18))
    session.add(pulse)
    await session.flush()
    counts: dict[tuple[str, int], int] = {}
    for index, person in enumerate(workers):
        session.add(PulseParticipant(round_id=pulse.id, person_id=person.id))
        for offset, statement in enumerate(pulse.statements):
            score = 2 + (index + offset + number) % 4
            counts[(statement, score)] = counts.get((statement, score), 0) + 1
    session.add_all(PulseTally(round_id=pulse.id, statement=statement, score=score,
                               count=counts.get((statement, score), 0))
                    for statement in pulse.statements for score in climate.SCORES)


async def _past_selfcheck(session: AsyncSession, enterprise: Enterprise, rep, now,  # type: ignore[no-untyped-def]
                          number: int) -> None:
    quarter = selfcheck.quarter_of(selfcheck.quarter_of(now.date()) - timedelta(days=1))
    check = SelfCheckRound(enterprise_id=enterprise.id, quarter=quarter,
                           opened_at=now - timedelta(days=80),
                           completed_at=now - timedelta(days=70))
    session.add(check)
    enterprise.worker_rep_id = rep.id
    await session.flush()
    for index, item in enumerate(selfcheck.ITEMS):
        worker = "no" if index % (6 + number) == 0 else "yes"
        for side, answer in ((selfcheck.MANAGER, "yes"), (selfcheck.WORKER, worker)):
            session.add(SelfCheckAnswer(round_id=check.id, item=item, side=side, answer=answer,
                                        answered_at=now - timedelta(days=70)))
