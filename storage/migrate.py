"""Alembic, driven from Python: `scorebot db upgrade`, the upgrade the bot runs on start,
and the schema the tests build."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Several bot processes starting at once on PostgreSQL migrate one after the other.
MIGRATION_LOCK = 5_302_914_001


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        # ConfigParser treats % as interpolation; a URL-encoded password must survive it.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, config: Config, revision: str,
             relay_key: bytes | None) -> None:
    config.attributes["connection"] = connection
    config.attributes["relay_key"] = relay_key  # seals suggestion relays (0017)
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head", *,
                  relay_key: bytes | None = None) -> None:
    """Bring the database schema up to `revision` (idempotent). `relay_key` (the bot's
    `Settings.relay_secret()`) is needed only to seal suggestion relays stored before 0017."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade, alembic_config(), revision, relay_key)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
