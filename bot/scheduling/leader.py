"""Exactly one process runs the scheduled jobs at a time, on PostgreSQL.

Each process tries to take a session-level advisory lock (`pg_try_advisory_lock`) on a
connection of its own, every RETRY_SECONDS. The one that gets it runs the due-work scan for
as long as it holds that connection; when it dies, PostgreSQL ends its session, the lock is
free, and another process takes over at its next try, within seconds. The holder checks its
connection at the same pace and stops the jobs as soon as it is lost. On SQLite there is one
process, and no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

SCHEDULER_LOCK = 5_302_914_007  # any bigint, the same in every process of one bot
RETRY_SECONDS = 3.0


class Leadership:
    """Runs `on_gain` when this process takes the lead and `on_loss` when it gives it up."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        on_gain: Callable[[], Awaitable[None] | None],
        on_loss: Callable[[], Awaitable[None] | None],
        retry_seconds: float = RETRY_SECONDS,
        key: int = SCHEDULER_LOCK,
    ) -> None:
        self.engine = engine
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.retry_seconds = retry_seconds
        self.key = key
        self._connection: AsyncConnection | None = None

    @property
    def leading(self) -> bool:
        return self._connection is not None

    async def run(self) -> None:
        """Try, hold and check the lock until cancelled; then let it go."""
        try:
            while True:
                if self._connection is None:
                    await self._try_to_lead()
                else:
                    await self._check_still_leading()
                await asyncio.sleep(self.retry_seconds)
        finally:
            await self._step_down()

    async def _try_to_lead(self) -> None:
        try:
            connection = await self.engine.connect()
        except Exception as error:
            log.warning("cannot reach the database to take the scheduler lock: %s", error)
            return
        try:
            # No transaction left open for hours: the lock belongs to the session.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
        except Exception as error:
            log.warning("cannot take the scheduler lock: %s", error)
            await _close(connection)
            return
        if not taken:
            await connection.close()
            return
        self._connection = connection
        log.info("this process now runs the scheduled jobs")
        await _call(self.on_gain)

    async def _check_still_leading(self) -> None:
        assert self._connection is not None
        try:
            await self._connection.scalar(text("SELECT 1"))
        except Exception as error:
            log.warning("lost the database connection holding the scheduler lock: %s", error)
            connection, self._connection = self._connection, None
            await _call(self.on_loss)
            await _close(connection, invalidate=True)

    async def _step_down(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        await _call(self.on_loss)
        with contextlib.suppress(Exception):
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        await _close(connection)
        log.info("this process no longer runs the scheduled jobs")


async def _call(callback: Callable[[], Awaitable[None] | None]) -> None:
    result = callback()
    if result is not None:
        await result


async def _close(connection: AsyncConnection, *, invalidate: bool = False) -> None:
    with contextlib.suppress(Exception):
        if invalidate:
            await connection.invalidate()
        await connection.close()
