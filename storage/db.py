"""Engine and session factory, built apart from the bot so the CLI and tests can use them.

Writes are tracked per connection (`WriteGate`): a session can tell whether its transaction
changed anything (`has_changes`), so an update that only read commits nothing. On SQLite the
gate also lets one transaction write at a time in the process: the first INSERT, UPDATE or
DELETE of a transaction waits (asyncio, without blocking the loop) until the writer before it
has committed or rolled back, instead of every writer spinning on SQLite's `busy_timeout`
(whose sleeps grow to 100 ms each, which is where a tap's p95 went). Other processes on the
same file still meet `busy_timeout`, as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_, in_greenlet

# How long a writer waits for the one before it, as SQLite's busy_timeout did.
WRITE_WAIT_SECONDS = 30.0
_WRITE_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})


def _raw(connection: Any) -> Any:
    """The driver's connection, whether given it or the pool's proxy around it."""
    return getattr(connection, "dbapi_connection", None) or connection


class WriteGate:
    """Which pooled connections are inside a transaction that has written; with `serialise`
    (SQLite), at most one of them at a time in this process."""

    def __init__(self, serialise: bool) -> None:
        self.serialise = serialise
        self.writing: set[int] = set()  # id() of driver connections in a writing transaction
        self.owner: int | None = None  # the one holding the lock (SQLite)
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wrote(self, connection: Any) -> bool:
        return id(_raw(connection)) in self.writing

    def begin_write(self, connection: Any) -> None:
        key = id(_raw(connection))
        if key in self.writing:
            return
        if self.serialise and in_greenlet():
            await_(self._acquire())
            self.owner = key
        self.writing.add(key)

    def end(self, connection: Any) -> None:
        """The connection's transaction is over (committed, rolled back, or given back)."""
        key = id(_raw(connection))
        self.writing.discard(key)
        if self.owner == key:
            self.owner = None
            if self._lock is not None and self._lock.locked():
                self._lock.release()

    async def _acquire(self) -> None:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        try:
            await asyncio.wait_for(self._lock.acquire(), WRITE_WAIT_SECONDS)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None


_gates: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def _is_write(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    words = statement.split(maxsplit=1)
    return bool(words) and words[0].upper() in _WRITE_WORDS


def _install_gate(engine: AsyncEngine, serialise: bool) -> WriteGate:
    gate = WriteGate(serialise)
    sync_engine = engine.sync_engine
    _gates[sync_engine] = gate

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any,
                _executemany: bool) -> None:
        if _is_write(statement, context):
            gate.begin_write(conn.connection.dbapi_connection)

    dialect = sync_engine.dialect
    for name in ("do_commit", "do_rollback"):
        original: Callable[[Any], None] = getattr(dialect, name)

        def ended(connection: Any, _original: Callable[[Any], None] = original) -> None:
            try:
                _original(connection)
            finally:
                gate.end(connection)

        setattr(dialect, name, ended)

    # A connection given back, closed or invalidated in the middle of a write ends it too.
    for name in ("checkin", "close", "close_detached", "invalidate"):
        event.listen(sync_engine.pool, name,
                     lambda dbapi_connection, *_rest: gate.end(dbapi_connection)
                     if dbapi_connection is not None else None)
    return gate


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    """hide_parameters: a database error's text never carries the statement's values (a pulse
    answer, a suggestion's words, a person id), so logging it ties nobody to anything."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": 30}, pool_pre_ping=False,
            hide_parameters=True,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite. WAL lets readers work during a write;
            # synchronous=NORMAL syncs the WAL at checkpoints rather than at every commit (a
            # power cut may lose the last commits, never corrupt the file).
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if url.database and url.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")  # other processes on the same file
            cursor.close()

        _install_gate(engine, serialise=True)
        return engine
    engine = create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10,
                                 max_overflow=10, hide_parameters=True)
    _install_gate(engine, serialise=False)
    return engine


async def has_changes(session: AsyncSession) -> bool:
    """Whether committing `session` would store anything: changes waiting for a flush, or
    statements of its transaction that wrote."""
    sync = session.sync_session
    if sync.new or sync.deleted or any(sync.is_modified(obj) for obj in sync.dirty):
        return True
    if not sync.in_transaction():
        return False
    connection = (await session.connection()).sync_connection
    assert connection is not None  # a session in a transaction has its connection
    gate = _gates.get(connection.engine)
    return gate is None or gate.wrote(connection.connection.dbapi_connection)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: handlers may read attributes after the middleware commits.
    return async_sessionmaker(engine, expire_on_commit=False)


def safe_url(database_url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    return make_url(database_url).render_as_string(hide_password=True)
