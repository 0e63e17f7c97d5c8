"""Shared fixtures. Every database test runs on SQLite, and also on PostgreSQL when
TEST_DATABASE_URL names one; Redis-backed tests run when TEST_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.config import normalize_database_url
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

# Settings must come from the tests, never from a developer's .env or environment.
for _name in ("BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "TELEGRAM_API_BASE", "BOT_USERNAME"):
    os.environ.pop(_name, None)


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def fresh_postgres_url() -> str:
    """TEST_DATABASE_URL, normalized, its schema emptied: for the tests that run their own
    event loop (the property-based ones)."""
    assert POSTGRES_URL is not None
    url = normalize_database_url(POSTGRES_URL)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_reset_postgres(url))
    loop.close()
    return url


class ErrorLog(logging.Handler):
    """Collects what is logged at ERROR and above."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()[:300]}")


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """An empty database, migrated to the latest schema."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        assert POSTGRES_URL is not None
        url = normalize_database_url(POSTGRES_URL)
        await _reset_postgres(url)
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[
    AsyncSession
]:
    async with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    return REDIS_URL


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()
