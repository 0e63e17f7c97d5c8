"""The schema: migrations match the models, times stay timezone-aware, and constraints hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from storage.migrate import current_revision, head_revision
from storage.models import Base, Enterprise, Membership, Person, Role


async def test_migrations_build_exactly_the_models(engine):
    assert await current_revision(engine) == head_revision()

    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_times_come_back_aware_in_utc(session):
    accra_evening = datetime(2026, 5, 1, 19, 0, tzinfo=timezone(timedelta(hours=7)))
    enterprise = Enterprise(name="X", country="VN", timezone="Asia/Ho_Chi_Minh",
                            default_locale="vi", created_at=accra_evening)
    session.add(enterprise)
    await session.commit()
    session.expunge_all()
    loaded = await session.get(Enterprise, enterprise.id)
    assert loaded is not None
    assert loaded.created_at == accra_evening
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_naive_times_are_refused(session):
    session.add(Enterprise(name="Y", country="GH", timezone="Africa/Accra", default_locale="en",
                           created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(Exception, match="naive"):
        await session.flush()


async def test_one_membership_per_enterprise(session):
    enterprise = Enterprise(name="Z", country="PE", timezone="America/Lima", default_locale="es")
    person = Person(telegram_id=77, display_name="Rosa")
    session.add_all([enterprise, person])
    await session.flush()
    session.add(Membership(person_id=person.id, enterprise_id=enterprise.id, role=Role.WORKER))
    await session.flush()
    session.add(Membership(person_id=person.id, enterprise_id=enterprise.id, role=Role.MANAGER))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_telegram_ids_beyond_32_bits_fit(session):
    session.add(Person(telegram_id=7_000_000_000, display_name="Big id"))
    await session.commit()
    assert datetime.now(UTC)
