"""Exactly one process runs the scheduled jobs at a time, on PostgreSQL.

Each process tries to take a session-level advisory lock (`pg_try_advisory_lock`) on a
connection of its own, every RETRY_SECONDS. The one that gets it runs the due-work scan for
as long as it holds that connection; when it dies, PostgreSQL ends its session, the lock is
free, and another process takes over at its next try, within seconds. The holder checks its
connection at the same pace and stops the jobs as soon as it is lost. On SQLite there is one
process, and no lock.

The scan's writes are fenced (`fenced_session_factory`): every transaction of a scheduled job
first takes a transaction lock shared by all processes (`pg_advisory_xact_lock`), so two scans
never interleave, the later one sees what the earlier one committed, and nothing is queued
twice; and it checks, when it begins and again before it commits, that this process still
holds the scheduler lock on its lock connection. A scan that lost the lock half-way (its
connection dropped, another process took over) commits nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

SCHEDULER_LOCK = 5_302_914_007  # any bigint, the same in every process of one bot
SCAN_FENCE = SCHEDULER_LOCK + 1  # taken by each transaction of a scheduled job
# Is the scheduler lock held by this backend? (A bigint key shows as two 32-bit halves.)
_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = :pid AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1)"
)


class LeadershipLost(Exception):
    """This process no longer holds the scheduler lock: the job's writes are refused."""
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
        self.backend_pid: int | None = None  # the lock connection's server process

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
        try:
            self.backend_pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        except Exception as error:
            log.warning("cannot read the scheduler lock's connection: %s", error)
            await _close(connection, invalidate=True)
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
            self.backend_pid = None
            await _call(self.on_loss)
            await _close(connection, invalidate=True)

    async def _step_down(self) -> None:
        connection, self._connection = self._connection, None
        self.backend_pid = None
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


def fenced_session_factory(engine: AsyncEngine,
                           leadership: Leadership) -> async_sessionmaker[AsyncSession]:
    """Sessions for the scheduled jobs of this process: each transaction waits its turn
    behind any other scan's (SCAN_FENCE), and is refused unless this process holds the
    scheduler lock when it begins and when it commits."""

    class FencedSession(Session):
        pass

    def still_leading(connection: Connection) -> None:
        pid = leadership.backend_pid
        held = pid is not None and connection.scalar(
            _HELD, {"pid": pid, "high": leadership.key >> 32, "low": leadership.key & 0xFFFFFFFF})
        if not held:
            raise LeadershipLost("this process no longer holds the scheduler lock")

    @event.listens_for(FencedSession, "after_begin")
    def _fence(session: Session, transaction: object, connection: Connection) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCAN_FENCE})
        still_leading(connection)

    @event.listens_for(FencedSession, "before_commit")
    def _check(session: Session) -> None:
        still_leading(session.connection())

    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=FencedSession)
