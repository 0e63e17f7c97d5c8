"""One scheduler, fenced (PostgreSQL): the leader's lock connection is dropped while its
scan is half-way through a wave of action reminders, and another process takes the lead and
scans too. The first scan commits nothing, the second queues the wave, every reminder once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

import bot.services.actions as actions_service
from bot.clock import FakeClock
from bot.config import normalize_database_url
from bot.content.loader import curriculum
from bot.i18n import build_i18n
from bot.scheduling.actions import send_action_reminders
from bot.scheduling.context import JobContext
from bot.scheduling.leader import Leadership, LeadershipLost, fenced_session_factory
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import ActionItem, Enterprise, Membership, OutboxMessage, Person, Role, Team
from tests.conftest import POSTGRES_URL, _reset_postgres

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="the scheduler lock is PostgreSQL's")

OWNERS = 60
MONDAY = date(2026, 3, 2)


async def _owners_with_actions_due(session_factory) -> None:  # type: ignore[no-untyped-def]
    created = datetime(2026, 2, 1, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        enterprise = Enterprise(name="Kumasi Metal Works", country="GH", timezone="UTC",
                                default_locale="en", created_at=created)
        team = Team(enterprise=enterprise, name="Welding", created_at=created)
        session.add_all([enterprise, team])
        for n in range(OWNERS):
            person = Person(telegram_id=40_000 + n, display_name=f"Owner {n}")
            session.add_all([person, Membership(person=person, enterprise=enterprise,
                                                team=team, role=Role.WORKER)])
            await session.flush()
            session.add(ActionItem(enterprise_id=enterprise.id, team_id=team.id,
                                   owner_id=person.id, title=f"Task {n}", due_on=MONDAY,
                                   created_at=created, updated_at=created))


async def test_a_scan_that_lost_its_lock_half_way_queues_nothing_twice(monkeypatch):
    url = normalize_database_url(POSTGRES_URL or "")
    await _reset_postgres(url)
    engines = [create_engine(url) for _ in range(3)]  # process A, process B, the DBA
    first, second, admin = engines
    await upgrade(admin)
    await _owners_with_actions_due(create_session_factory(admin))

    def noop() -> None:
        return None

    leader_a = Leadership(first, on_gain=noop, on_loss=noop)
    leader_b = Leadership(second, on_gain=noop, on_loss=noop)
    clock = FakeClock(datetime.combine(MONDAY, datetime.min.time(), UTC) + timedelta(hours=9))
    i18n, lessons = build_i18n("en"), curriculum()
    scan_a = JobContext(fenced_session_factory(first, leader_a), clock, i18n, lessons, b"key")
    scan_b = JobContext(fenced_session_factory(second, leader_b), clock, i18n, lessons, b"key")

    # Process A's scan stops half-way: the due actions read, nothing committed yet.
    halfway, go_on = asyncio.Event(), asyncio.Event()
    real_read = actions_service.open_with_owners

    async def read_then_wait(session):  # type: ignore[no-untyped-def]
        rows = await real_read(session)
        if not halfway.is_set():
            halfway.set()
            await go_on.wait()
        return rows

    monkeypatch.setattr(actions_service, "open_with_owners", read_then_wait)
    try:
        await leader_a._try_to_lead()
        assert leader_a.leading
        first_scan = asyncio.create_task(send_action_reminders(scan_a))
        await asyncio.wait_for(halfway.wait(), 10)

        # A's lock connection is dropped; B takes the lead and scans at once.
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                     {"pid": leader_a.backend_pid})
        for _ in range(100):
            await leader_b._try_to_lead()
            if leader_b.leading:
                break
            await asyncio.sleep(0.05)
        assert leader_b.leading
        second_scan = asyncio.create_task(send_action_reminders(scan_b))
        await asyncio.sleep(0.3)  # B's scan waits behind A's transaction
        go_on.set()

        with pytest.raises(LeadershipLost):
            await asyncio.wait_for(first_scan, 10)
        assert await asyncio.wait_for(second_scan, 10) == OWNERS
        assert await send_action_reminders(scan_b) == 0  # the next scan finds nothing new

        async with create_session_factory(admin)() as session:
            rows = list(await session.execute(
                select(OutboxMessage.chat_id, func.count()).group_by(OutboxMessage.chat_id)))
        assert len(rows) == OWNERS and all(count == 1 for _chat, count in rows)
    finally:
        go_on.set()
        if leader_a.leading:
            await leader_a._check_still_leading()  # finds its connection gone, lets it go
        await leader_b._step_down()
        for engine in engines:
            await engine.dispose()
