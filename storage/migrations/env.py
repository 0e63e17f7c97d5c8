"""Alembic environment. The bot passes its own connection (see storage.migrate);
`scorebot db revision` lets Alembic open one from the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import the models: render our UTC column type as a plain one.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # SQLite alters a table by copying it and dropping the old one; with foreign keys on,
        # dropping `people` would delete every row that cascades from it (memberships, ...).
        # The pragma only takes effect outside a transaction, so it is set before any write.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            _migrate(connection)
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        return
    _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    _run(shared)
else:
    asyncio.run(_run_with_own_engine())
